"""A citizen at the portal in a real browser, against the real stack: finds the closed clinics,
signs in with the sandbox mobile verification, sees their records from two clinics, gets a
certified copy and downloads it; the copy's QR URL opens a valid 진위확인 page, a changed code an
invalid one, and the PDF itself checks out when uploaded."""

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Institution, Operator, eventually
from tests.support.browser import Person
from tests.support.builders import inline, record_body

pytestmark = pytest.mark.e2e

RRN, NAME, BIRTH, PHONE = "760412-1345671", "오세훈", "1976-04-12", "010-4100-0001"
CLINICS = {
    "93100001": ("햇살정원내과의원", "의원", "서울"),
    "93100002": ("바다정원치과의원", "치과의원", "부산"),
}
READY = "사본이 발급되었습니다"


@dataclass
class World:
    citizen: Person
    records: dict[str, str]  # record id by clinic code
    copy_url: str = ""
    pdf: bytes = b""


@pytest.fixture(scope="module")
def world(cluster: Cluster, people) -> World:  # type: ignore[no-untyped-def]
    operator = Operator(cluster)
    records = {}
    for code, (name, kind, region) in CLINICS.items():
        clinic = Institution(cluster, *operator.register_client([code]))
        transfer = clinic.open_transfer(code, name, institution={
            "code": code, "name": name, "type": kind, "region": region,
            "address": f"{region} 어딘가 1"})  # fmt: skip
        specialty = "dental" if kind == "치과의원" else "medical"
        body = record_body(
            RRN, NAME, BIRTH, inline(f"{name} 진료 기록".encode(), "text/plain"),
            specialty=specialty, title=f"{name} 외래 진료기록",
            service_start="2025-05-01", service_end="2025-05-03",
        )  # fmt: skip
        response = clinic.put_record(transfer, f"p-{code}", body)
        assert response.status_code == 201, response.text
        records[code] = response.json()["record_id"]
    mine = Citizen(cluster, NAME, RRN, phone=PHONE)
    eventually(lambda: len(mine.records()) == 2, what="both records in catalog")
    return World(citizen=people(), records=records)


def test_anyone_finds_the_closed_clinics_by_part_of_a_name_and_region(world: World) -> None:
    visitor = world.citizen
    page = visitor.open("/")
    visitor.look("home")
    expect(page.get_by_role("link", name="내 진료기록 조회·발급")).to_be_visible()
    expect(page.get_by_role("link", name="진위확인", exact=True).first).to_be_visible()
    page.get_by_label("의료기관 이름").fill("정원")
    page.get_by_role("button", name="찾기").click()
    page.wait_for_url(re.compile(r"/institutions\?"))
    table = page.locator("table")
    for name, _, _ in CLINICS.values():
        expect(table).to_contain_text(name)
    expect(table).to_contain_text("폐업")
    expect(table).to_contain_text("1건")
    visitor.look("institutions")
    page.get_by_label("지역").select_option("부산")
    page.get_by_role("button", name="찾기").click()
    expect(table).to_contain_text("바다정원치과의원")
    expect(table).not_to_contain_text("햇살정원내과의원")


def test_a_citizen_signs_in_and_sees_two_clinics_records(world: World) -> None:
    citizen = world.citizen
    citizen.sign_in(NAME, RRN, PHONE)
    page = citizen.page
    expect(page.locator("header")).to_contain_text(f"{NAME}님")
    for name, _, _ in CLINICS.values():
        expect(page.get_by_role("heading", name=re.compile(name))).to_be_visible()
    expect(page.locator("main")).to_contain_text("보존기한")
    expect(page.locator("main")).to_contain_text("2035-05-03까지")  # 10 years from the last day
    citizen.look("records")
    page.get_by_label("의료기관").select_option("93100002")
    page.get_by_role("button", name="조회").click()
    expect(page.get_by_role("heading", name=re.compile("바다정원치과의원"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("햇살정원내과의원"))).to_have_count(0)
    page.get_by_label("의료기관").select_option("")
    page.get_by_label("진료 분야").select_option("dental")
    page.get_by_role("button", name="조회").click()
    expect(page.get_by_role("status").filter(has_text="기록")).to_contain_text("기록 1건")


def test_the_period_is_catalogs_and_a_backward_one_is_shown_at_its_field(world: World) -> None:
    citizen = world.citizen
    page = citizen.open("/records?from=2025-05-03&to=2025-05-03")  # the last day of both
    expect(page.get_by_role("status").filter(has_text="기록")).to_contain_text("기록 2건")
    page.get_by_label("진료 기간 시작").fill("2025-05-04")
    page.get_by_label("진료 기간 끝").fill("")
    page.get_by_role("button", name="조회").click()
    expect(page.get_by_role("status").filter(has_text="기록")).to_contain_text("기록 0건")
    page.get_by_label("진료 기간 시작").fill("2025-06-01")
    page.get_by_label("진료 기간 끝").fill("2025-05-01")
    page.get_by_role("button", name="조회").click()
    end = page.get_by_label("진료 기간 끝")
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#to-error")).to_contain_text("시작 이후의 올바른 날짜")
    expect(page.get_by_role("alert").first).to_contain_text("조회 조건을 확인해 주세요")
    response = page.request.get(citizen.base + "/records?from=2025-02-30")
    assert response.status == 422 and "올바른 날짜" in response.text()
    citizen.look("records-bad-period")


def test_a_citizen_gets_a_copy_of_both_and_downloads_it(world: World) -> None:
    citizen = world.citizen
    page = citizen.open("/records")
    for record_id in world.records.values():
        page.locator(f"label[for='rec-{record_id}']").click()  # KRDS styles the label
        expect(page.locator(f"#rec-{record_id}")).to_be_checked()
    page.get_by_label("발급 용도").select_option("보험 청구")
    page.get_by_role("button", name="선택한 기록 사본 발급 신청").click()
    page.wait_for_url(re.compile(r"/copies/[0-9a-f-]+$"))
    world.copy_url = page.url
    # portal.js polls while the copy is made and shows the page again once it is ready.
    expect(page.get_by_text(READY)).to_be_visible(timeout=180_000)
    citizen.look("copy")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="사본 내려받기 (PDF)").click()
    download = downloading.value
    assert download.suggested_filename.endswith(".pdf")
    world.pdf = Path(download.path()).read_bytes()
    assert world.pdf.startswith(b"%PDF")
    opened = page.request.get(world.copy_url + "/document?download=1")
    assert opened.headers["content-type"] == "application/pdf"
    assert opened.headers["content-disposition"].startswith("attachment; filename=")
    inline_view = page.request.get(world.copy_url + "/document")
    assert inline_view.headers["content-disposition"].startswith("inline")

    page = citizen.open("/copies")
    number = page.locator("tbody tr").first.locator("th").inner_text()
    expect(page.locator("tbody tr").first).to_contain_text("발급 완료")
    assert number in PdfReader(io.BytesIO(world.pdf)).pages[0].extract_text()
    citizen.look("copies")


def qr_url(pdf: bytes) -> str:
    cover = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    found = re.search(r"진위확인:\s*(\S+/verify\?number=\S+&code=\S+)", cover)
    assert found, cover
    return found.group(1)


def test_the_copys_qr_url_opens_a_valid_verify_page_without_the_persons_name(
    world: World, people: Any, cluster: Cluster
) -> None:
    url = qr_url(world.pdf)
    assert url.startswith(cluster.url("portal") + "/verify?"), url
    verifier = people()
    page = verifier.page
    page.goto(url)
    verdict = page.locator(".portal-verdict")
    expect(verdict).to_contain_text("유효한 사본입니다")
    main = page.locator("main")
    for name, _, _ in CLINICS.values():
        expect(main).to_contain_text(name)
    expect(main).to_contain_text("2건")
    expect(main).to_contain_text("SHA-256")
    # What was issued is named (서류 종류), as every document's check names its type.
    expect(page.get_by_role("row", name="서류 종류")).to_contain_text("진료기록 사본")
    assert NAME not in page.content() and NAME[1:] not in page.content()
    number = re.search(r"number=([^&]+)", url).group(1)  # type: ignore[union-attr]
    expect(page.get_by_label("발급번호", exact=True)).to_have_value(number)
    verifier.look("verify-valid")

    code = re.search(r"code=(\w+)", url).group(1)  # type: ignore[union-attr]
    changed = ("A" if code[0] != "A" else "B") + code[1:]
    page.goto(url.replace(f"code={code}", f"code={changed}"))
    expect(page.get_by_role("alert")).to_contain_text("유효하지 않은 사본입니다")
    verifier.look("verify-invalid")


def test_the_downloaded_pdf_checks_out_when_uploaded(world: World, people) -> None:  # type: ignore[no-untyped-def]
    verifier = people()
    page = verifier.open("/verify")
    verifier.look("verify")
    page.get_by_label("사본 PDF 파일", exact=True).set_input_files(
        {"name": "copy.pdf", "mimeType": "application/pdf", "buffer": world.pdf}
    )
    page.get_by_role("button", name="파일로 확인").click()
    expect(page.locator(".portal-verdict")).to_contain_text("유효한 사본입니다")
    changed = world.pdf.replace(b"%%EOF", b"%%EOF\n% changed", 1)
    page.get_by_label("사본 PDF 파일", exact=True).set_input_files(
        {"name": "copy.pdf", "mimeType": "application/pdf", "buffer": changed}
    )
    page.get_by_role("button", name="파일로 확인").click()
    expect(page.locator(".portal-verdict")).to_contain_text("유효하지 않은 사본입니다")


def test_the_access_log_shows_the_citizens_own_acts(world: World) -> None:
    citizen = world.citizen
    page = citizen.open("/access-log")
    table = page.locator("table")
    expect(table).to_contain_text("본인", timeout=60_000)
    expect(table).to_contain_text("사본 발급 신청")
    citizen.look("access-log")


def test_signing_out_ends_the_session(world: World) -> None:
    citizen = world.citizen
    page = citizen.open("/records")
    page.get_by_role("button", name="로그아웃").click()
    page.wait_for_url(citizen.base + "/")
    page = citizen.open("/records")
    assert "/signin" in page.url
    assert citizen.page.request.get(world.copy_url, max_redirects=0).status == 303
