"""A parent at the portal: the children the family registry names, acting for the 17-year-old
(a banner naming the child on every page, ended with one click) and refused for the
19-year-old with the reason shown; the same pages work with JavaScript off."""

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from medrec_devstack.cluster import Cluster
from tests.support.actors import (
    Citizen,
    Institution,
    Operator,
    children_of,
    eventually,
    seed_family_link,
)
from tests.support.browser import Person
from tests.support.builders import inline, record_body

pytestmark = pytest.mark.e2e

PARENT_RRN, PARENT_NAME, PARENT_PHONE = "800202-2000505", "윤서연", "010-4200-0001"
TEEN_RRN, TEEN_NAME, TEEN_BIRTH = "090301-3000606", "윤지호", "2009-03-01"  # 17 in 2026
ADULT_RRN, ADULT_NAME, ADULT_BIRTH = "070101-4000707", "윤하은", "2007-01-01"  # 19 in 2026
CLINIC = "93200001"


@pytest.fixture(scope="module")
def parent(cluster: Cluster, people: Any) -> Person:
    clinic = Institution(cluster, *Operator(cluster).register_client([CLINIC]))
    transfer = clinic.open_transfer(CLINIC, "새싹소아청소년과의원")
    recent = {"service_start": "2025-09-01", "service_end": "2025-09-02"}
    for key, rrn, name, birth in [
        ("teen", TEEN_RRN, TEEN_NAME, TEEN_BIRTH),
        ("parent", PARENT_RRN, PARENT_NAME, "1980-02-02"),
    ]:
        body = record_body(rrn, name, birth, inline(f"{key} 진료".encode(), "text/plain"),
                           title=f"{name} 감기 진료", **recent)  # fmt: skip
        assert clinic.put_record(transfer, f"gp-{key}", body).status_code == 201
    seed_family_link(cluster, PARENT_RRN, TEEN_RRN, TEEN_NAME, TEEN_BIRTH)
    seed_family_link(cluster, PARENT_RRN, ADULT_RRN, ADULT_NAME, ADULT_BIRTH)
    own = Citizen(cluster, PARENT_NAME, PARENT_RRN, phone=PARENT_PHONE)
    eventually(lambda: len(own.records()) == 1, what="the parent's own record")
    # The child's record is listed once catalog has it (the parent's came through first, or
    # soon after: both were deposited together).
    person: Person = people()
    person.sign_in(PARENT_NAME, PARENT_RRN, PARENT_PHONE)
    adult = next(c for c in children_of(own) if c["name"] == ADULT_NAME)
    person.extra["adult_id"] = str(adult["person_id"])
    return person


def test_the_children_page_shows_who_may_be_acted_for_and_why_not(parent: Person) -> None:
    page = parent.open("/children")
    rows = page.locator("tbody tr")
    teen = rows.filter(has_text=TEEN_NAME)
    adult = rows.filter(has_text=ADULT_NAME)
    expect(teen).to_contain_text("만 17세")
    expect(teen.get_by_role("button", name=f"{TEEN_NAME}님 대신 보기")).to_be_visible()
    expect(adult).to_contain_text("만 19세")
    expect(adult).to_contain_text("대리 불가: 나이 제한을 넘었습니다")
    expect(adult.get_by_role("button")).to_have_count(0)
    parent.look("children")


def test_acting_for_the_17_year_old_shows_a_banner_everywhere_until_ended(
    parent: Person, people: Any
) -> None:
    page = parent.open("/children")
    page.get_by_role("button", name=f"{TEEN_NAME}님 대신 보기").click()
    page.wait_for_url(re.compile(r"/records"))
    banner = page.get_by_role("region", name="대리 열람 중")
    expect(banner).to_contain_text(TEEN_NAME)
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{TEEN_NAME}님의 진료기록")
    teen_record = page.get_by_role("rowheader", name=f"{TEEN_NAME} 감기 진료")
    for _ in range(100):  # the child's record may still be on its way to catalog
        if teen_record.count():
            break
        page.reload()
    expect(teen_record).to_be_visible()
    expect(page.get_by_role("rowheader", name=f"{PARENT_NAME} 감기 진료")).to_have_count(0)
    parent.look("records-acting")
    for path in ("/copies", "/access-log", "/institutions", "/verify"):
        parent.open(path)
        expect(page.get_by_role("region", name="대리 열람 중")).to_contain_text(TEEN_NAME)

    # A copy of the child's record, without JavaScript (the same session in a browser with
    # JavaScript off): the page offers a refresh link instead of polling.
    nojs: Person = people(java_script_enabled=False)
    nojs.context.add_cookies([{**c} for c in parent.context.cookies()])
    page = nojs.open("/records")
    page.locator("label", has_text=f"{TEEN_NAME} 감기 진료 선택").click()
    page.get_by_role("button", name="선택한 기록 사본 발급 신청").click()
    page.wait_for_url(re.compile(r"/copies/[0-9a-f-]+$"))
    for _ in range(300):
        if page.get_by_text("사본이 발급되었습니다").count():
            break
        page.get_by_role("link", name="새로 고침").click()
        page.wait_for_timeout(500)  # a person's pause between refreshes, not a wait for state
    expect(page.get_by_text("사본이 발급되었습니다")).to_be_visible()
    expect(page.get_by_role("region", name="대리 열람 중")).to_contain_text(TEEN_NAME)

    page = parent.open("/access-log")
    expect(page.locator("table")).to_contain_text("보호자(대리)")
    parent.look("access-log-acting")

    page.get_by_role("button", name="대리 종료").click()
    page.wait_for_url(re.compile(r"/children$"))
    expect(page.get_by_role("region", name="대리 열람 중")).to_have_count(0)
    page = parent.open("/records")
    expect(page.get_by_role("rowheader", name=f"{PARENT_NAME} 감기 진료")).to_be_visible()
    expect(page.get_by_role("rowheader", name=f"{TEEN_NAME} 감기 진료")).to_have_count(0)


def test_acting_for_the_19_year_old_is_refused_with_the_reason(parent: Person) -> None:
    """The form the page does not offer, posted anyway with the page's CSRF token: refused, and
    the page says why."""
    page = parent.open("/children")
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    refused = page.request.post(
        f"{parent.base}/children/{parent.extra['adult_id']}/act", form={"csrf_token": csrf}
    )
    assert refused.status == 403
    text = refused.text()
    assert f"{ADULT_NAME}님을 대신할 수 없습니다" in text
    assert "나이를 넘었습니다" in text
    assert "guardian-age-limit" not in text and "{" not in text.split("<main")[1]
