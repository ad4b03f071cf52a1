"""알림함 and 알림 설정 at the portal in a real browser, against the real stack: a citizen whose
copy became ready and whose record ends its retention within 90 days finds both notices in
알림함, unread ones marked and counted on the menu; marking one read clears its mark and the
count; 알림 설정 shows a checkbox per kind, all on at first, and what is saved is what catalog
keeps. Every page passes axe, with screenshots at a phone's and a desktop's width."""

from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from medrec_devstack.cluster import Cluster
from medrec_shared.rules.notices import NOTICE_LABELS, NoticeKind
from medrec_shared.rules.retention import add_years
from tests.support.actors import Citizen, Institution, Operator, eventually
from tests.support.browser import Person
from tests.support.builders import inline, record_body
from tests.support.staff import staff_on

pytestmark = pytest.mark.e2e

RRN, NAME, BIRTH, PHONE_NO = "810909-2567891", "서알림", "1981-09-09", "010-4300-0929"
CODE, CLINIC = "93900001", "새봄내과의원"


@pytest.fixture(scope="module")
def citizen(cluster: Cluster, people: Any) -> Person:
    clinic = Institution(cluster, *Operator(cluster).register_client([CODE]))
    transfer = clinic.open_transfer(CODE, CLINIC)
    soon = add_years(date.today() + timedelta(days=45), -10).isoformat()
    for external_id, end in (("old", soon), ("recent", "2025-05-02")):
        body = record_body(
            RRN, NAME, BIRTH, inline(b"x", "text/plain"), title=external_id,
            service_start=end, service_end=end,
        )  # fmt: skip
        assert clinic.put_record(transfer, external_id, body).status_code == 201
    own = Citizen(cluster, NAME, RRN, phone=PHONE_NO)
    records = eventually(
        lambda: own.records() if len(own.records()) == 2 else None, what="two records"
    )
    asked = own.request_copy([r["record_id"] for r in records if r["title"] == "recent"])
    own.wait_ready(asked["issuance_id"])
    operator = staff_on(cluster, "catalog", "platform", prefix="portal-notices")
    assert operator.post("/v1/admin/retention/sweep").status_code == 200

    def both() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = own.catalog.get("/v1/me/notices").json()["items"]
        return items if {n["kind"] for n in items} == {"copy_ready", "retention_ending"} else None

    eventually(both, what="the copy's and the retention's notices")
    person: Person = people()
    person.extra["api"] = own
    person.sign_in(NAME, RRN, PHONE_NO)
    return person


def test_the_menu_counts_unread_notices_and_the_box_marks_them(citizen: Person) -> None:
    page = citizen.open("/records")
    link = page.get_by_role("link", name="알림함 2건 읽지 않음")
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", name="알림함")).to_be_visible()
    expect(page.locator(".portal-notice-unread")).to_have_count(2)
    expect(page.get_by_text(CLINIC, exact=False)).to_be_visible()  # the retention's sentence
    expect(page.get_by_text("사본 발급을 신청하세요", exact=False)).to_be_visible()
    citizen.look("portal-notices")
    label = NOTICE_LABELS[NoticeKind.copy_ready]
    page.get_by_role("button", name=f"읽음 표시: {label}").click()
    expect(page.locator(".portal-notice-unread")).to_have_count(1)
    expect(page.get_by_role("link", name="알림함 1건 읽지 않음")).to_be_visible()
    expect(page.get_by_text("읽지 않은 알림 1건")).to_be_visible()


def test_choices_are_a_checkbox_per_kind_and_saved_in_catalog(citizen: Person) -> None:
    page = citizen.open("/notices/settings")
    for kind in NoticeKind:
        expect(page.get_by_label(NOTICE_LABELS[kind], exact=True)).to_be_checked()
    citizen.look("portal-notice-settings")
    page.get_by_label(NOTICE_LABELS[NoticeKind.share_opened], exact=True).uncheck()
    page.get_by_role("button", name="저장").click()
    expect(page.get_by_role("status")).to_have_text("알림 설정을 저장했습니다.")
    expect(
        page.get_by_label(NOTICE_LABELS[NoticeKind.share_opened], exact=True)
    ).not_to_be_checked()
    expect(page.get_by_label(NOTICE_LABELS[NoticeKind.copy_ready], exact=True)).to_be_checked()
    api: Citizen = citizen.extra["api"]
    kinds = api.catalog.get("/v1/me/notice-preferences").json()["kinds"]
    assert kinds == {kind.value: kind != NoticeKind.share_opened for kind in NoticeKind}
