"""Reviewers at the console over the whole stack: a reviewer signs in with password and one-time
password, chooses their first password, opens an Art. 21 request, sees its documents as pictures
(PNG made by the console, never the file uploaded) beside the patient as typed (RRN masked) and
the match, and proposes its approval; the same reviewer cannot confirm it (a Korean sentence
says why), a second reviewer confirms and the requester's copy is issued. A linkage candidate
is decided the same way, by two people. An auditor finds both reviewers' acts by person. A
health centre's account is refused the review pages and never sees them in its menu. Every page
is checked by axe-core and photographed."""

import io
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from fpdf import FPDF
from PIL import Image
from playwright.sync_api import expect

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Institution, Operator, eventually
from tests.support.builders import inline, record_body, structured_medical
from tests.support.console import StaffAccount, StaffAtConsole, create_staff
from tests.support.stack import sql

pytestmark = pytest.mark.e2e
T = TypeVar("T")

CODE = "93500001"
PATIENT_RRN, PATIENT_NAME, BIRTH = "470808-1234562", "강만복", "1947-08-08"
SPOUSE_RRN, SPOUSE_NAME, SPOUSE_PHONE = "500909-2234563", "이순례", "010-4350-0001"
# A record deposited without an RRN, and the verified person it may be.
CHART_NAME, CHART_BIRTH, CHART_RRN = "도하람", "1972-04-03", "720403-2456781"
AWAITING = "두 번째 심사관의 확인을 기다립니다"


def off_loop(call: Callable[..., T], *args: Any) -> T:
    """`call` on a thread of its own: while Playwright's sync API runs, this thread counts as
    running an event loop, and tests.support.stack.sql's asyncio.run would refuse."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call, *args).result()


def consent_pdf() -> bytes:
    """A two-page consent form, as a scanner or a word processor makes one."""
    pdf = FPDF()
    for text in ("Consent to release medical records", "Signed: the patient"):
        pdf.add_page()
        pdf.set_font("helvetica", size=20)
        pdf.cell(0, 20, text)
    return bytes(pdf.output())


def kinship_png() -> bytes:
    picture = Image.new("RGB", (900, 600), "white")
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


@dataclass(frozen=True)
class World:
    spouse: Citizen  # the requester
    request_id: str
    first: StaffAccount  # two reviewers
    second: StaffAccount
    health_centre: StaffAccount
    auditor: StaffAccount
    chart_person: Citizen  # verified, with a record deposited without an RRN


def catalog_knows(cluster: Cluster, person_id: str) -> bool:
    query = "SELECT 1 FROM linkage_persons WHERE person_id = $1::uuid"
    return bool(off_loop(sql, cluster, "catalog", query, person_id))


@pytest.fixture(scope="module")
def world(cluster: Cluster) -> World:
    operator = Operator(cluster)
    clinic = Institution(cluster, *operator.register_client([CODE]))
    transfer = clinic.open_transfer(CODE, "바른요양병원")
    body = record_body(PATIENT_RRN, PATIENT_NAME, BIRTH, inline("간호".encode(), "text/plain"),
                       kind="nursing_record")  # fmt: skip
    assert clinic.put_record(transfer, "rv-1", body).status_code == 201
    chart_person = Citizen(cluster, CHART_NAME, CHART_RRN, "010-4350-0002")
    eventually(lambda: catalog_knows(cluster, chart_person.person_id), what="catalog to know")
    paper = {
        "patient": {"name": CHART_NAME, "birth_date": CHART_BIRTH, "sex": "female"},
        "kind": "medical_record", "specialty": "medical", "title": "외래 진료기록 (종이)",
        "service_start": "2001-03-02", "service_end": "2001-03-09",
        "content": inline(structured_medical("종이 차트"), "application/vnd.medrec.record+json"),
    }  # fmt: skip
    assert clinic.put_record(transfer, "rv-paper", paper).status_code == 201
    spouse = Citizen(cluster, SPOUSE_NAME, SPOUSE_RRN, SPOUSE_PHONE)
    request = {"patient": {"name": PATIENT_NAME, "rrn": PATIENT_RRN}, "relation": "spouse"}
    submitted = spouse.issuance.post(
        "/v1/proxy-requests",
        data={"request": json.dumps(request, ensure_ascii=False)},
        files={
            "consent_form": ("consent.pdf", consent_pdf(), "application/pdf"),
            "kinship_certificate": ("kinship.png", kinship_png(), "image/png"),
        },
    )
    assert submitted.status_code == 202, submitted.text
    reviewers = [
        create_staff(cluster, login=login, name=name, organisation="khis", roles=["reviewer"])
        for login, name in (("reviewer.one", "김심사"), ("reviewer.two", "박확인"))
    ]
    centre = create_staff(cluster, login="hc.seoul", name="최보건", organisation="hc:11",
                          roles=["health_centre"], region="11")  # fmt: skip
    auditor = create_staff(cluster, login="auditor.one", name="정감사", organisation="khis",
                           roles=["auditor"])  # fmt: skip
    first, second = reviewers
    return World(
        spouse, submitted.json()["request_id"], first, second, centre, auditor, chart_person
    )


def signed_in(staff_people: Any, account: StaffAccount, *, look: bool = False) -> StaffAtConsole:
    """A staff person through the first sign-in: password and one-time password, then a
    password of their own, landing on 현황."""
    person: StaffAtConsole = staff_people()
    person.sign_in_as(account, look=look)
    person.choose_password(f"{account.login}-새비밀번호-2026", look=look)
    person.page.wait_for_url(re.compile(r"/$"))
    return person


@pytest.fixture(scope="module")
def reviewers(world: World, staff_people: Any) -> tuple[StaffAtConsole, StaffAtConsole]:
    """The two reviewers, each signed in once at a browser of their own."""
    first = signed_in(staff_people, world.first, look=True)
    expect(first.page.get_by_role("heading", name="현황", exact=True)).to_be_visible()
    first.look("home")
    return first, signed_in(staff_people, world.second)


def test_two_reviewers_approve_an_art_21_request_and_the_copy_is_issued(
    world: World, reviewers: tuple[StaffAtConsole, StaffAtConsole]
) -> None:
    first, second = reviewers
    assert first.menu() == ["현황", "연계 검토", "대리 신청 검토"]
    page = first.open("/proxy-requests")
    first.look("proxy-requests")
    page.locator(f"a[href='/proxy-requests/{world.request_id}']").click()
    page.wait_for_url(re.compile(world.request_id))
    # The documents as PNG pictures made here: the PDF's two pages and the picture.
    pictures = page.locator("img.console-document-page")
    expect(pictures).to_have_count(3)
    for source in pictures.evaluate_all("els => els.map(e => e.src)"):
        assert source.startswith("data:image/png;base64,")
    text = page.locator("main").inner_text()
    assert PATIENT_NAME in text and "470808-1******" in text
    assert PATIENT_RRN not in page.content()
    assert "입력한 이름과 같은 기록이 있습니다" in text
    first.look("proxy-request")

    page.get_by_label("사유").fill("가족관계증명서와 동의서 확인")
    page.get_by_role("button", name="승인", exact=True).click()
    expect(page.get_by_text(AWAITING).first).to_be_visible()
    first.look("proxy-request-proposed")
    # The requester still sees it being reviewed, with no copy.
    mine = world.spouse.issuance.get(f"/v1/proxy-requests/{world.request_id}").json()
    assert mine["status"] == "submitted" and mine.get("issuance_id") is None

    # The proposer cannot confirm their own proposal.
    page.get_by_label("사유").fill("다시 승인")
    page.get_by_role("button", name="승인", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("처음 승인한 심사관은 확인할 수 없습니다")

    page = second.open(f"/proxy-requests/{world.request_id}")
    expect(page.get_by_text(AWAITING).first).to_be_visible()
    page.get_by_label("사유").fill("서류 재확인, 승인")
    page.get_by_role("button", name="승인", exact=True).click()
    expect(page.get_by_text("승인했습니다").first).to_be_visible()
    second.look("proxy-request-approved")

    decided = world.spouse.issuance.get(f"/v1/proxy-requests/{world.request_id}").json()
    assert decided["status"] == "approved" and decided["issuance_id"]
    copy = world.spouse.wait_ready(decided["issuance_id"])
    assert copy["record_count"] == 1


def test_the_auditor_finds_each_reviewers_act_by_person(
    world: World, reviewers: tuple[StaffAtConsole, StaffAtConsole], staff_people: Any
) -> None:
    """After the two reviewers' decision (the test above): the auditor searches the audit trail
    by each reviewer's login and finds the proposal under the first, the confirmation under the
    second, each on this request."""
    auditor = signed_in(staff_people, world.auditor)
    assert auditor.menu() == ["현황", "파기", "감사 로그"]

    def acts_of(login: str, act: str) -> str | None:
        auditor.open(f"/audit?actor={login}&act={act}&resource_id={world.request_id}")
        text = auditor.page.locator("main").inner_text()
        return text if world.request_id in text else None

    proposed = eventually(
        lambda: acts_of(world.first.login, "proxy_request.propose_approval"),
        timeout=60,
        what="the first reviewer's proposal in the audit trail",
    )
    assert "대리 신청 승인 제안" in proposed and world.first.login in proposed
    auditor.look("audit-reviewers")
    confirmed = eventually(
        lambda: acts_of(world.second.login, "proxy_request.approve"),
        timeout=60,
        what="the second reviewer's confirmation in the audit trail",
    )
    assert "대리 신청 승인 확인" in confirmed and world.second.login in confirmed
    # The first reviewer's confirmation was refused: no approval of theirs is on record.
    assert acts_of(world.first.login, "proxy_request.approve") is None


def test_two_reviewers_link_a_record_without_an_rrn(
    world: World, reviewers: tuple[StaffAtConsole, StaffAtConsole]
) -> None:
    first, second = reviewers

    def listed() -> str | None:
        page = first.open("/linkage")
        link = page.locator("a[href^='/linkage/']").first
        return link.get_attribute("href") if link.count() else None

    path = eventually(listed, timeout=60, what="the candidate in the console's list")
    first.look("linkage")
    page = first.open(path)
    compared = page.locator("table.console-compare").inner_text()
    assert compared.count(CHART_NAME) == 2 and "1972-04-03" in compared
    first.look("linkage-candidate")
    # A decision without its reason is said at the field, and decides nothing.
    page.get_by_role("button", name="반려", exact=True).click()
    expect(page.locator("#f-reason-error")).to_have_text("사유를 입력해 주세요.")
    expect(page.get_by_label("사유")).to_have_attribute("aria-invalid", "true")
    first.look("linkage-candidate-invalid")
    page.get_by_label("사유").fill("이름·생년월일·성별 일치, 진료 기간 확인")
    page.get_by_role("button", name="승인", exact=True).click()
    expect(page.get_by_text(AWAITING).first).to_be_visible()
    assert world.chart_person.records() == []

    page = second.open(path)
    page.get_by_label("사유").fill("확인함")
    page.get_by_role("button", name="승인", exact=True).click()
    expect(page.get_by_text("승인했습니다").first).to_be_visible()
    eventually(lambda: len(world.chart_person.records()) == 1, what="the linked record listed")


def test_a_health_centre_account_is_refused_the_review_pages(
    cluster: Cluster, world: World, staff_people: Any
) -> None:
    centre = signed_in(staff_people, world.health_centre)
    assert "대리 신청 검토" not in centre.menu() and "연계 검토" not in centre.menu()
    assert centre.menu() == ["현황", "이관", "폐업 의료기관", "이관 요청"]
    for path in ("/proxy-requests", f"/proxy-requests/{world.request_id}", "/linkage"):
        answer = centre.page.goto(centre.base + path)
        assert answer is not None and answer.status == 403, path
        heading = centre.page.get_by_role("heading", level=1)
        expect(heading).to_have_text("이 화면을 볼 권한이 없습니다")
    centre.look("refused")
    # Nor can it decide by posting the form itself.
    token = centre.page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    posted = centre.page.request.post(
        centre.base + f"/proxy-requests/{world.request_id}",
        form={"csrf_token": token, "decision": "approve", "reason": "x"},
        max_redirects=0,
    )
    assert posted.status == 403
