"""이관 요청 in real browsers against the real stack: on 의료기관 찾기 a signed-in citizen asks for
a clinic whose records are not held here (a plain form: it works without JavaScript too) and the
clinic then says 요청함; a clinic held here has no button; nobody signed in sees none. In the
console the clinic's region's health centre finds it in 이관 요청, counted once per person, and
another region's health centre does not. When the clinic's transfer then completes, the citizen
who asked finds 요청한 의료기관 이관 완료 in 알림함, naming the clinic."""

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from medrec_devstack.cluster import CONSOLE, Cluster
from medrec_shared.rules.notices import NOTICE_LABELS, NoticeKind
from tests.support.actors import Citizen, Depositor, Operator, eventually
from tests.support.browser import Checked, Person
from tests.support.builders import inline, record_body
from tests.support.console import StaffAtConsole, create_staff

pytestmark = pytest.mark.e2e

ASKED, OTHER, HELD = "72910001", "72910002", "72910003"
CLINICS = {ASKED: ("푸른요청내과의원", "서울"), OTHER: ("푸른요청치과의원", "서울"),
           HELD: ("푸른요청보관의원", "서울")}  # fmt: skip
FIRST = ("윤요청", "690707-1234561", "010-2910-0001")
SECOND = ("윤두번", "680808-2345672", "010-2910-0002")
NEW_PASSWORD = "Requests-2026-long!"  # a test account's


@dataclass
class World:
    public: Person
    first: Person
    second: Person  # a browser without JavaScript
    vendor: Depositor
    transfers: dict[str, str]


@pytest.fixture(scope="module")
def world(cluster: Cluster, people: Any) -> World:
    vendor = Depositor(cluster, *Operator(cluster).register_client(list(CLINICS)))
    transfers = {}
    for code, (name, region) in CLINICS.items():
        transfers[code] = vendor.open_transfer(code, name, institution={
            "code": code, "name": name, "type": "의원", "address": f"{region} 종로구 1",
            "region": region})  # fmt: skip
    body = record_body(FIRST[1], FIRST[0], "1969-07-07", inline(b"chart", "text/plain"))
    assert vendor.put_record(transfers[HELD], "held-1", body).status_code == 201
    mine = Citizen(cluster, *FIRST)
    eventually(lambda: len(mine.records()) == 1, what="HELD's record in catalog")
    first: Person = people()
    first.sign_in(*FIRST)
    second: Person = people(java_script_enabled=False)
    second.sign_in(*SECOND)
    return World(public=people(), first=first, second=second, vendor=vendor, transfers=transfers)


def row(person: Person, code: str) -> Any:
    return person.page.locator(f"#inst-{code}")


def search(person: Person) -> None:
    person.open("/institutions?q=푸른요청")
    expect(row(person, ASKED)).to_be_visible()


def test_nobody_signed_in_sees_no_button(world: World) -> None:
    search(world.public)
    assert world.public.page.get_by_role("button", name=re.compile("이관 요청")).count() == 0


def test_a_citizen_asks_and_the_clinic_says_so(world: World) -> None:
    person = world.first
    search(person)
    person.look("portal-institutions-request")
    assert row(person, HELD).get_by_role("button").count() == 0  # held here: nothing to ask
    expect(row(person, HELD)).to_contain_text("보관 중")
    row(person, ASKED).get_by_role("button", name=f"{CLINICS[ASKED][0]} 이관 요청").click()
    person.page.wait_for_url(re.compile(rf"/institutions\?.*requested={ASKED}"))
    expect(person.page.get_by_role("status")).to_contain_text("이관을 요청했습니다")
    expect(row(person, ASKED)).to_contain_text("요청함")
    assert row(person, ASKED).get_by_role("button").count() == 0
    assert row(person, OTHER).get_by_role("button").count() == 1
    # the same page from its top (the answer scrolled to the clinic, under the sticky header)
    person.open(f"/institutions?q=푸른요청&requested={ASKED}")
    person.look("portal-institutions-requested")


def test_it_works_without_javascript(world: World) -> None:
    person = world.second
    search(person)
    row(person, ASKED).get_by_role("button", name=f"{CLINICS[ASKED][0]} 이관 요청").click()
    person.page.wait_for_url(re.compile(rf"requested={ASKED}"))
    expect(row(person, ASKED)).to_contain_text("요청함")
    # the form's token is checked: a post without it changes nothing
    page = person.page
    refused = page.request.post(person.base + f"/institutions/{OTHER}/transfer-request",
                                form={"q": ""}, max_redirects=0)  # fmt: skip
    assert refused.status == 403
    search(person)
    assert row(person, OTHER).get_by_role("button").count() == 1


def staff_at_console(browser: Browser, cluster: Cluster, checked: Checked, region: str
                     ) -> StaffAtConsole:  # fmt: skip
    account = create_staff(cluster, login=f"hc{region}.req.{uuid.uuid4().hex[:6]}",
                           name="정보건", organisation=f"hc:{region}", roles=["health_centre"],
                           region=region)  # fmt: skip
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    person = StaffAtConsole(context, context.new_page(), cluster.url(CONSOLE), checked)
    person.sign_in_as(account)
    person.choose_password(NEW_PASSWORD)
    return person


def test_the_health_centre_of_the_clinics_region_sees_it_counted(
    world: World, browser: Browser, cluster: Cluster, checked: Checked
) -> None:
    seoul = staff_at_console(browser, cluster, checked, "11")
    busan = staff_at_console(browser, cluster, checked, "26")
    try:
        assert "이관 요청" in seoul.menu()
        page = seoul.open("/transfer-requests")
        seoul.look("transfer-requests")
        line = page.locator("tbody tr", has_text=CLINICS[ASKED][0])
        expect(line).to_contain_text("2명")  # two people, each once
        expect(line).to_contain_text(ASKED)
        assert page.locator("tbody tr", has_text=CLINICS[HELD][0]).count() == 0
        assert page.locator("#f-region").is_disabled()  # held to their region
        for person in (FIRST, SECOND):
            assert person[0] not in page.content() and person[1] not in page.content()
        other = busan.open("/transfer-requests")
        assert other.locator("tbody tr", has_text=CLINICS[ASKED][0]).count() == 0
        expect(other.locator("main")).to_contain_text("부산")
    finally:
        seoul.close()
        busan.close()


def test_when_the_clinic_transfers_the_citizen_who_asked_finds_a_notice(world: World) -> None:
    body = record_body(SECOND[1], SECOND[0], "1968-08-08", inline(b"chart", "text/plain"))
    transfer = world.transfers[ASKED]
    assert world.vendor.put_record(transfer, "asked-1", body).status_code == 201
    done = world.vendor.complete(transfer, 1)
    assert done.status_code == 200, done.text
    person = world.first
    label = NOTICE_LABELS[NoticeKind.transfer_arrived]

    def told() -> bool:
        page = person.open("/notices")
        return page.locator(".portal-notice-unread", has_text=label).count() == 1

    eventually(told, what="the arrival notice in 알림함")
    expect(person.page.locator("main")).to_contain_text(CLINICS[ASKED][0])
    person.look("portal-notices-arrived")
    search(person)
    expect(row(person, ASKED)).to_contain_text("보관 중")
