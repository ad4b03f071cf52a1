"""제출 in a real browser, against the real stack: the citizen makes a share link on a ready copy's
page and sees the 접근 코드 once; the recipient, not signed in, opens the link, is told plainly
when the code is wrong (and when too many were), and downloads the PDF with the right one; the
citizen's 열람 이력 names the recipient; a revoked link and an expired one say so. The share
pages carry no referrer, and no log line holds a link's token."""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from medrec_devstack.cluster import Cluster
from medrec_issuance.settings import IssuanceSettings
from tests.support.actors import Citizen, Depositor, Operator, eventually
from tests.support.browser import Person
from tests.support.builders import inline, new_code, record_body
from tests.support.clock import clock_at

pytestmark = pytest.mark.e2e

RRN, NAME, BIRTH, PHONE = "850917-2345674", "서나래", "1985-09-17", "010-4500-0001"
INSURER = "한빛손해보험"
WRONG_CODES = IssuanceSettings.model_fields["share_code_limit_per_share"].default


@dataclass
class World:
    cluster: Cluster
    citizen: Person
    api: Citizen
    issuance: dict[str, Any]
    people: Any
    tokens: list[str] = field(default_factory=list)

    @property
    def copy_path(self) -> str:
        return f"/copies/{self.issuance['issuance_id']}"

    def make_share(self, recipient: str, days: str = "7") -> tuple[str, str]:
        """Made on the copy's page as the citizen would: the link and the code shown once."""
        page = self.citizen.open(self.copy_path)
        page.get_by_label("받는 곳").fill(recipient)
        page.get_by_label("유효 기간 (일)").fill(days)
        page.get_by_role("button", name="제출 링크 만들기").click()
        expect(page.get_by_role("heading", name="제출 링크를 만들었습니다")).to_be_visible()
        url = page.locator("#share-url").inner_text().strip()
        code = page.locator("#share-code").inner_text().strip()
        assert re.fullmatch(r"\d{6}", code), code
        self.tokens.append(url.rsplit("/", 1)[-1])
        return url, code

    def recipient(self) -> Person:
        person: Person = self.people()
        return person


@pytest.fixture(scope="module")
def world(cluster: Cluster, people) -> World:  # type: ignore[no-untyped-def]
    code = new_code()
    vendor = Depositor(cluster, *Operator(cluster).register_client([code]))
    transfer = vendor.open_transfer(code, "나래내과의원")
    body = record_body(RRN, NAME, BIRTH, inline("외래 진료 기록".encode(), "text/plain"))
    stored = vendor.put_record(transfer, "share-portal-1", body)
    assert stored.status_code == 201, stored.text
    api = Citizen(cluster, NAME, RRN, phone=PHONE)
    eventually(api.records, what="the record in catalog")
    issuance = api.wait_ready(api.request_copy([stored.json()["record_id"]])["issuance_id"])
    citizen: Person = people()
    citizen.sign_in(NAME, RRN, PHONE)
    return World(cluster, citizen, api, issuance, people)


def open_link(person: Person, url: str) -> None:
    response = person.page.goto(url)
    assert response is not None and response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    expect(person.page.get_by_label("접근 코드")).to_be_visible()


def said(person: Person, text: str) -> None:
    expect(person.page.get_by_text(text, exact=False)).to_be_visible()


def titled(person: Person, heading: str) -> None:
    expect(person.page.get_by_role("heading", name=heading)).to_be_visible()


def submit_code(person: Person, code: str, *, page_answer: bool = True) -> None:
    """Types the code and sends it; waits for the page that answers (unless a download does)."""
    page = person.page
    page.get_by_label("접근 코드").fill(code)
    button = page.get_by_role("button", name="서류 내려받기 (PDF)")
    if not page_answer:
        button.click()
        return
    with page.expect_response(lambda r: r.request.method == "POST" and "/share/" in r.url):
        button.click()
    page.wait_for_load_state()


def test_the_citizen_makes_a_share_on_the_copy_page(world: World) -> None:
    page = world.citizen.open(world.copy_path)
    expect(page.get_by_role("heading", name="제출 (보험사 등에 보내기)")).to_be_visible()
    expect(page.get_by_label("유효 기간 (일)")).to_have_value("7")
    page.get_by_label("받는 곳").fill(INSURER)
    page.get_by_label("유효 기간 (일)").fill("31")
    page.get_by_role("button", name="제출 링크 만들기").click()
    expect(page.get_by_text("유효 기간은 1일에서 30일 사이로 입력해 주세요.")).to_be_visible()
    expect(page.get_by_label("받는 곳")).to_have_value(INSURER)
    world.citizen.look("portal-share-invalid")

    url, code = world.make_share(INSURER)
    assert url.startswith(world.cluster.url("portal") + "/share/")
    expect(world.citizen.page.get_by_text("지금 한 번만 보여 드립니다")).to_be_visible()
    world.citizen.look("portal-share-created")
    page = world.citizen.open(world.copy_path)
    card = page.locator(".portal-share-list li").filter(has_text=INSURER)
    expect(card).to_contain_text("열람 가능")
    expect(card).to_contain_text("0회")
    assert code not in page.content(), "the code is shown once, on the page that made it"
    world.citizen.look("portal-share-copy")


def test_the_recipient_downloads_with_the_right_code_only(world: World) -> None:
    url, code = world.make_share(INSURER)
    recipient = world.recipient()
    open_link(recipient, url)
    recipient.look("portal-share")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    submit_code(recipient, wrong)
    said(recipient, "접근 코드가 맞지 않습니다.")
    expect(recipient.page.get_by_label("접근 코드")).to_have_attribute("aria-invalid", "true")
    recipient.look("portal-share-wrong-code")

    with recipient.page.expect_download() as downloading:
        submit_code(recipient, code, page_answer=False)
    download = downloading.value
    assert re.fullmatch(r"medrec-[A-Za-z0-9-]+\.pdf", download.suggested_filename)
    assert Path(download.path()).read_bytes().startswith(b"%PDF")

    page = world.citizen.open(world.copy_path)
    expect(page.locator(".portal-share-list li").filter(has_text="1회").first).to_be_visible()

    def in_history() -> bool:
        return f"제출받은 곳: {INSURER}" in world.citizen.open("/access-log").content()

    eventually(in_history, what="the recipient's download in 열람 이력")
    row = world.citizen.page.locator("tr").filter(has_text=f"제출받은 곳: {INSURER}").first
    expect(row).to_contain_text("사본 내려받기")


def test_too_many_wrong_codes_are_told_plainly(world: World) -> None:
    url, code = world.make_share("다른손해보험")
    recipient = world.recipient()
    open_link(recipient, url)
    wrong = f"{(int(code) + 3) % 1_000_000:06d}"
    for _ in range(WRONG_CODES):
        submit_code(recipient, wrong)
        expect(
            recipient.page.get_by_text("접근 코드가 맞지 않습니다.", exact=False)
        ).to_be_visible()
    submit_code(recipient, code)
    said(recipient, "여러 번 잘못 입력하여")
    recipient.look("portal-share-limited")


def test_after_revoking_the_link_says_so(world: World) -> None:
    recipient_name = "해지손해보험"
    url, code = world.make_share(recipient_name)
    page = world.citizen.open(world.copy_path)
    card = page.locator(".portal-share-list li").filter(has_text=recipient_name)
    card.get_by_role("button", name="해지").click()
    expect(page.get_by_text("제출 링크를 해지했습니다.", exact=False)).to_be_visible()
    expect(page.locator(".portal-share-list li").filter(has_text=recipient_name)).to_contain_text(
        "해지됨"
    )
    recipient = world.recipient()
    open_link(recipient, url)
    submit_code(recipient, code)
    titled(recipient, "해지된 제출 링크입니다")
    expect(
        recipient.page.get_by_text("해지하여 더 이상 열 수 없습니다", exact=False)
    ).to_be_visible()
    recipient.look("portal-share-closed")


def test_after_expiry_the_link_says_so(world: World) -> None:
    # Made a day ago with one day to run (the stack's clock standing there, and a citizen token
    # of that time): expired now, without the clock running ahead of real time.
    made_at = datetime.now(UTC) - timedelta(days=1, minutes=1)
    path = f"/v1/issuances/{world.issuance['issuance_id']}/shares"
    with clock_at(world.cluster, made_at):
        then = Citizen(world.cluster, NAME, RRN, phone=PHONE)
        made = then.issuance.post(path, json={"recipient": "만료손해보험", "expires_in_days": 1})
        assert made.status_code == 201, made.text
    share = made.json()
    world.tokens.append(share["url"].rsplit("/", 1)[-1])
    recipient = world.recipient()
    open_link(recipient, share["url"])
    submit_code(recipient, share["access_code"])
    expect(
        recipient.page.get_by_role("heading", name="유효 기간이 지난 제출 링크입니다")
    ).to_be_visible()
    page = world.citizen.open(world.copy_path)
    expect(page.locator(".portal-share-list li").filter(has_text="만료손해보험")).to_contain_text(
        "기간 만료"
    )


def test_an_unknown_link_says_so(world: World) -> None:
    recipient = world.recipient()
    response = recipient.page.goto(world.cluster.url("portal") + "/share/" + "A" * 43)
    assert response is not None
    expect(recipient.page.get_by_label("접근 코드")).to_be_visible()
    submit_code(recipient, "123456")
    expect(
        recipient.page.get_by_role("heading", name="제출 링크를 찾을 수 없습니다")
    ).to_be_visible()


def test_no_log_line_holds_a_share_link(world: World) -> None:
    assert world.tokens
    for log in sorted(world.cluster.logs.glob("*.log")):
        text = log.read_text(errors="replace")
        for token in world.tokens:
            assert token not in text, f"{log.name} holds a share link's token"
