"""The console's operations pages over the whole stack, in Chromium: 기관 연동 (a platform person
registers an institution client and sees its secret once), 직원 관리 (accounts made with their
one-time password and TOTP QR code, a second factor reset, roles, disabling), 이관 (a health
centre's person sees their region's transfers and not another's; a release proposed by one
platform person and confirmed by another), 장애 이벤트 (parked events listed and retried), 파기
(a record's retention extended with a 사유) and 감사 로그 (an auditor finds those acts by person).
Every page is scanned by axe-core and photographed (console-<page>.png). Forms say what is wrong
in Korean and are refused without their CSRF token."""

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest
from aiokafka import AIOKafkaProducer
from playwright.sync_api import Page

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.clock import KST
from medrec_shared.platform.ids import new_id
from tests.support.actors import Institution, Operator, bearer, eventually
from tests.support.builders import inline, new_code, record_body
from tests.support.console import StaffAccount, StaffAtConsole, create_staff

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "console-ops-새비밀번호-2026"
RRN, NAME, BIRTH = "800808-1777777", "연장대상", "1980-08-08"


@dataclass(frozen=True)
class World:
    """What the stack holds for these tests: two transfers a region apart (the one in region 11
    a suspension, to release), a record to extend, and the staff who act on them."""

    seoul: str  # transfer ids
    busan: str
    busan_code: str
    record_id: str  # a record to extend
    expired_id: str  # a record long past its period, destroyed by the next sweep
    platform: StaffAccount
    platform_second: StaffAccount
    health_centre: StaffAccount
    auditor: StaffAccount


def _institution(code: str, name: str, region: str) -> dict[str, str]:
    return {"code": code, "name": name, "type": "의원", "address": f"{name} 주소 1",
            "region": region}  # fmt: skip


@pytest.fixture(scope="module")
def world(cluster: Cluster) -> World:
    operator = Operator(cluster)
    seoul_code, busan_code = new_code(), new_code()
    vendor = Institution(cluster, *operator.register_client([seoul_code, busan_code]))
    seoul = vendor.open_transfer(
        seoul_code, "서울휴업의원", institution=_institution(seoul_code, "서울휴업의원", "11"),
        reason="suspension",
    )  # fmt: skip
    busan = vendor.open_transfer(
        busan_code, "부산폐업의원", institution=_institution(busan_code, "부산폐업의원", "26")
    )
    record = record_body(RRN, NAME, BIRTH, inline(f"{NAME} 기록".encode(), "text/plain"),
                         service_start="2024-03-02", service_end="2024-03-02")  # fmt: skip
    stored = vendor.put_record(busan, "keep-1", record)
    assert stored.status_code == 201, stored.text
    old = record_body(RRN, NAME, BIRTH, inline(f"{NAME} 처방".encode(), "text/plain"),
                      kind="prescription", service_start="2015-05-02",
                      service_end="2015-05-02")  # fmt: skip
    expired = vendor.put_record(busan, "old-1", old)
    assert expired.status_code == 201, expired.text
    suffix = uuid.uuid4().hex[:6]
    return World(
        seoul=seoul, busan=busan, busan_code=busan_code, record_id=stored.json()["record_id"],
        expired_id=expired.json()["record_id"],
        platform=create_staff(cluster, login=f"ops.kim.{suffix}", name="김운영",
                              organisation="khis", roles=["platform"]),
        platform_second=create_staff(cluster, login=f"ops.lee.{suffix}", name="이운영",
                                     organisation="khis", roles=["platform"]),
        health_centre=create_staff(cluster, login=f"hc.park.{suffix}", name="박보건",
                                   organisation="hc:11", roles=["health_centre"], region="11"),
        auditor=create_staff(cluster, login=f"audit.choi.{suffix}", name="최감사",
                             organisation="khis", roles=["auditor"]),
    )  # fmt: skip


@pytest.fixture(scope="module")
def people(staff_people: Any, world: World) -> Iterator[dict[str, StaffAtConsole]]:
    """Each of the world's staff signed in at a browser of their own (first sign-in: a new
    password)."""
    signed_in: dict[str, StaffAtConsole] = {}
    for key in ("platform", "platform_second", "health_centre", "auditor"):
        person: StaffAtConsole = staff_people()
        person.sign_in_as(getattr(world, key))
        person.choose_password(NEW_PASSWORD)
        person.extra["login"] = getattr(world, key).login
        signed_in[key] = person
    yield signed_in


def people_login(person: StaffAtConsole) -> str:
    """The login of whoever is signed in at `person`'s browser (the header names them)."""
    login: str = person.extra["login"]
    return login


def _main(person: StaffAtConsole) -> str:
    return person.page.locator("main").inner_text()


def _tick(page: Page, label: str) -> None:
    """A checkbox or radio button, as a person ticks it: by its label (KRDS draws the box on
    the label, over the input)."""
    page.locator("label", has_text=re.compile("^" + re.escape(label))).first.click()


def test_a_platform_person_registers_an_institution_client_and_sees_its_secret_once(
    cluster: Cluster, people: dict[str, StaffAtConsole]
) -> None:
    kim = people["platform"]
    page = kim.open("/clients")
    kim.look("clients")
    code = new_code()
    page.get_by_label("기관 이름", exact=True).fill("콘솔등록의원 EMR")
    page.get_by_label("요양기관기호", exact=True).fill(code)
    _tick(page, "이관 (기관의 진료기록 보내기)")
    page.get_by_role("button", name="등록", exact=True).click()
    page.wait_for_load_state()
    client_id = page.locator("#client-id").inner_text().strip()
    secret = page.locator("#client-secret").inner_text().strip()
    assert client_id and len(secret) >= 32
    kim.look("clients-registered")
    # The secret works: the institution gets a token with it.
    assert cluster.client_token(client_id, secret)
    # ... and is never shown again: not in the list, not after a reload.
    page = kim.open("/clients")
    assert client_id in page.content() and secret not in page.content()
    page.reload()
    assert secret not in page.content()
    # Revoked, it is gone from the list and gets no token.
    row = page.locator("tr", has_text=client_id)
    row.get_by_role("button", name=re.compile("폐기")).click()
    page.wait_for_url(re.compile(r"/clients\?revoked=1$"))
    assert client_id not in page.locator("table").inner_text() if page.locator(
        "table").count() else True  # fmt: skip
    refused = httpx.post(cluster.url("identity") + "/oauth/token", auth=(client_id, secret),
                         data={"grant_type": "client_credentials"})  # fmt: skip
    assert refused.status_code in (400, 401)


def test_staff_are_created_with_a_one_time_password_and_their_second_factor_reset(
    cluster: Cluster, people: dict[str, StaffAtConsole], staff_people: Any
) -> None:
    kim = people["platform"]
    page = kim.open("/staff")
    kim.look("staff")
    login = f"new.reviewer.{uuid.uuid4().hex[:6]}"
    page.get_by_label("아이디", exact=True).fill(login)
    page.get_by_label("이름", exact=True).fill("정심사")
    _tick(page, "보관기관")
    _tick(page, "심사관")
    page.get_by_role("button", name="계정 만들기").click()
    page.wait_for_load_state()
    password = page.locator("#staff-password").inner_text().strip()
    totp_uri = page.locator("#staff-totp").inner_text().strip()
    assert totp_uri.startswith("otpauth://totp/") and password
    assert page.locator("figure.console-qr svg[role=img]").count() == 1
    kim.look("staff-created")
    account_url = page.get_by_role("link", name="계정 보기").get_attribute("href")
    assert account_url
    # The new person signs in with what was shown once, and chooses a password.
    jung = staff_people()
    created = StaffAccount(login, password, totp_uri)
    jung.sign_in_as(created)
    jung.choose_password(NEW_PASSWORD)
    assert "대리 신청 검토" in jung.menu() and "직원 관리" not in jung.menu()
    jung.close()
    # Their second factor reset: a new URI (and QR code); the old app's codes no longer work.
    page = kim.open(account_url)
    kim.look("staff-account")
    page.get_by_role("button", name="2단계 인증 초기화").click()
    page.wait_for_load_state()
    new_uri = page.locator("#staff-totp").inner_text().strip()
    assert new_uri.startswith("otpauth://totp/") and new_uri != totp_uri
    assert page.locator("#staff-password").count() == 0
    old_secret = parse_qs(urlsplit(totp_uri).query)["secret"][0]
    new_secret = parse_qs(urlsplit(new_uri).query)["secret"][0]
    assert old_secret != new_secret
    again = staff_people()
    again.sign_in_as(StaffAccount(login, NEW_PASSWORD, new_uri))
    assert again.page.url.rstrip("/") == again.base, again.page.url
    assert pyotp.TOTP(new_secret).now()
    again.close()
    # A forgotten password: a new one-time password, shown once, no new second factor.
    page = kim.open(account_url)
    page.get_by_role("button", name="비밀번호 초기화").click()
    page.wait_for_load_state()
    one_time = page.locator("#staff-password").inner_text().strip()
    assert one_time and one_time != password and page.locator("#staff-totp").count() == 0
    # Roles changed, then the account disabled: it signs in no more.
    page = kim.open(account_url)
    _tick(page, "감사관")
    page.get_by_role("button", name="역할 저장").click()
    page.wait_for_url(re.compile(r"done=roles$"))
    assert "감사관" in _main(kim)
    page.get_by_role("button", name="사용 중지").click()
    page.wait_for_url(re.compile(r"done=disabled$"))
    assert "사용 중지" in _main(kim)
    locked_out = staff_people()
    locked_out.sign_in_as(StaffAccount(login, one_time, new_uri))
    assert "/signin" in locked_out.page.url
    locked_out.close()
    # No one disables their own account (the last platform person would lock everyone out).
    page = kim.open("/staff")
    own_url = page.get_by_role("link", name=people_login(kim), exact=True).get_attribute("href")
    page = kim.open(str(own_url))
    assert page.get_by_role("button", name="사용 중지").count() == 0
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    refused = page.request.post(kim.base + f"{own_url}/disable", form={"csrf_token": csrf},
                                max_redirects=0)  # fmt: skip
    assert refused.status == 409 and "자기 계정은 사용 중지할 수 없습니다" in refused.text()


def test_a_health_centre_person_sees_their_regions_transfers_and_not_another_regions(
    world: World, people: dict[str, StaffAtConsole]
) -> None:
    park = people["health_centre"]
    page = park.open("/transfers")
    park.look("transfers")
    listed = page.locator("main table").inner_text()
    assert "서울휴업의원" in listed and "부산폐업의원" not in listed
    assert page.locator("#f-region").is_disabled()
    # Asking for region 26 in the address changes nothing; its transfer by id is not found.
    page = park.open("/transfers?region=26")
    assert "부산폐업의원" not in _main(park)
    answer = page.request.get(park.base + f"/transfers/{world.busan}", max_redirects=0)
    assert answer.status == 404
    page = park.open(f"/transfers/{world.seoul}")
    park.look("transfer")
    assert "반환 제안" not in [b.strip() for b in page.locator("main button").all_inner_texts()]
    # Nor any other page of the platform's or the auditor's.
    assert park.menu() == ["현황", "이관", "폐업 의료기관", "이관 요청"]
    for path in ("/clients", "/staff", "/dead-letters", "/audit", "/destructions"):
        assert page.request.get(park.base + path, max_redirects=0).status == 403, path


def test_a_release_is_proposed_by_one_platform_person_and_confirmed_by_another(
    world: World, people: dict[str, StaffAtConsole]
) -> None:
    kim, lee = people["platform"], people["platform_second"]
    page = kim.open(f"/transfers/{world.seoul}")
    page.get_by_role("button", name="반환 제안").click()
    page.wait_for_url(re.compile(r"done=proposed$"))
    assert "다른 운영자가 확인하면 반환됩니다" in _main(kim)
    # The proposer is offered no confirmation, and a forced one is refused.
    assert page.get_by_role("button", name="반환 확인").count() == 0
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    forced = page.request.post(kim.base + f"/transfers/{world.seoul}/release",
                               form={"csrf_token": csrf}, max_redirects=0)  # fmt: skip
    assert forced.status == 409 and "다른 운영자가 확인해야 합니다" in forced.text()
    page = lee.open(f"/transfers/{world.seoul}")
    lee.look("transfer-proposed")
    page.get_by_role("button", name="반환 확인").click()
    page.wait_for_url(re.compile(r"done=released$"))
    assert "반환되었습니다" in _main(lee)
    # A closure is not released.
    page = kim.open(f"/transfers/{world.busan}")
    assert page.get_by_role("button", name="반환 제안").count() == 0


def _publish_forged(cluster: Cluster) -> str:
    """A RecordRetentionDue from a service that does not own it: ingest parks it at once."""
    assert cluster.infra is not None
    bootstrap = cluster.infra.kafka_bootstrap
    envelope = {
        "event_id": str(new_id()), "type": "RecordRetentionDue",
        "occurred_at": datetime.now(KST).isoformat(), "producer": "issuance",
        "correlation_id": uuid.uuid4().hex,
        "data": {"record_id": str(uuid.uuid4()), "retention_until": "2020-01-01"},
    }  # fmt: skip

    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait("medrec.record.v1", json.dumps(envelope).encode(),
                                         key=f"forged-{uuid.uuid4()}".encode())  # fmt: skip
        finally:
            await producer.stop()

    # Off the test's thread: Playwright's sync API keeps an event loop running on it.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()
    return str(envelope["event_id"])


def test_dead_letters_are_listed_and_retried(
    cluster: Cluster, people: dict[str, StaffAtConsole]
) -> None:
    _publish_forged(cluster)
    kim = people["platform"]

    def parked_row() -> Any:
        page = kim.open("/dead-letters")
        section = page.locator("section", has=page.locator("#dl-ingest"))
        rows = section.locator("tbody tr", has_text="RecordRetentionDue")
        return rows.first if rows.count() else None

    row = eventually(parked_row, timeout=120, what="ingest to park the forged event")
    kim.look("dead-letters")
    assert "issuance" in row.inner_text()
    entry = row.locator("th").inner_text().strip()
    row.get_by_role("button", name=re.compile("재처리")).click()
    kim.page.wait_for_url(re.compile(rf"retried=ingest:{entry}$"))
    assert f"{entry}번 이벤트 재처리를 요청했습니다" in _main(kim)
    # It is no longer parked (retry requested, then parked again as refused, or retried).
    assert kim.page.get_by_role("button", name=f"이관 서비스 {entry}번 이벤트 재처리").count() <= 1


def test_a_records_retention_is_extended_and_the_destruction_log_read(
    cluster: Cluster, world: World, people: dict[str, StaffAtConsole]
) -> None:
    kim = people["platform"]
    page = kim.open("/destructions")
    kim.look("destructions")
    page.get_by_label("기록 ID", exact=True).fill(world.record_id)
    page.get_by_label("사유", exact=True).fill("소송 진행 중: 법원의 보존 요청")
    page.get_by_role("button", name="보존기간 연장").click()
    page.wait_for_url(re.compile(r"/destructions/extended\?"))
    assert "보존기간을" in _main(kim) and world.record_id in _main(kim)
    # Once only: a second extension is refused, said in Korean beside the form.
    page.get_by_label("기록 ID", exact=True).fill(world.record_id)
    page.get_by_label("사유", exact=True).fill("두 번째 요청")
    page.get_by_role("button", name="보존기간 연장").click()
    page.wait_for_load_state()
    assert "한 번만 연장할 수 있습니다" in _main(kim)
    # The retention sweep (the machine account's, as the worker's schedule would) destroys the
    # record long past its period: the log shows what it was and why, by institution or whole.
    sweep = httpx.post(cluster.url("catalog") + "/v1/admin/retention/sweep",
                       headers=bearer(Operator(cluster).token), timeout=60)  # fmt: skip
    assert sweep.status_code == 200, sweep.text

    def logged() -> str | None:
        kim.open(f"/destructions?institution={world.busan_code}")
        text = _main(kim)
        return text if world.expired_id in text else None

    text = eventually(logged, timeout=120, what="the expired record in the destruction log")
    assert "처방전" in text and "보존기간 경과" in text and NAME not in text
    kim.look("destructions-log")
    kim.open("/destructions")
    assert world.expired_id in _main(kim)


def test_an_auditor_finds_the_acts_of_a_person(
    world: World, people: dict[str, StaffAtConsole]
) -> None:
    choi = people["auditor"]
    page = choi.open("/audit")
    choi.look("audit")

    def found() -> str | None:
        choi.open(f"/audit?actor={world.platform.login}")
        text = _main(choi)
        return text if "transfer.propose_release" in text else None

    text = eventually(found, timeout=60, what="the platform person's acts in the audit trail")
    assert "record.extend_retention" in text and "소송 진행 중" in text
    assert "반환 제안" in text
    for act in (
        "client.register",
        "client.revoke",
        "staff.create",
        "staff.second_factor_reset",
        "staff.password_reset",
        "staff.roles",
        "staff.disable",
        "dead_letter.retry",
    ):
        assert act in text, act
    choi.look("audit-results")
    # The confirmation is the second person's.
    page = choi.open(f"/audit?actor={world.platform_second.login}&act=transfer.release")
    assert world.seoul in _main(choi)
    # An auditor changes nothing: the platform's pages are refused.
    for path in ("/clients", "/staff", "/dead-letters", "/transfers"):
        assert page.request.get(choi.base + path, max_redirects=0).status == 403, path


def test_the_forms_say_what_is_wrong_in_korean(people: dict[str, StaffAtConsole]) -> None:
    kim = people["platform"]
    page = kim.open("/staff")
    page.get_by_label("아이디", exact=True).fill("Bad Login")
    _tick(page, "보건소")
    page.get_by_role("button", name="계정 만들기").click()
    page.wait_for_load_state()
    text = _main(kim)
    assert "아이디는 영문 소문자로 시작하여" in text and "이름을 입력해 주세요" in text
    assert "보건소 직원의 지역을 골라 주세요" in text
    kim.look("staff-invalid")
    page = kim.open("/destructions?institution=12")
    assert "요양기관기호는 숫자 8자리로 입력해 주세요" in _main(kim)
    choi = people["auditor"]
    choi.open("/audit?since=2026-12-07&until=2026-12-01")
    assert "종료일은 시작일과 같거나 그 뒤여야 합니다" in _main(choi)
    page = kim.open("/clients")
    page.get_by_role("button", name="등록", exact=True).click()
    page.wait_for_load_state()
    text = _main(kim)
    assert "기관 이름을 입력해 주세요" in text and "권한을 하나 이상 골라 주세요" in text
    kim.look("clients-invalid")


def test_every_operations_form_is_refused_without_its_csrf_token(
    world: World, people: dict[str, StaffAtConsole]
) -> None:
    kim = people["platform"]
    page = kim.open("/clients")
    paths = ["/clients", "/clients/some-client/revoke", "/staff",
             f"/staff/{uuid.uuid4()}/roles", f"/staff/{uuid.uuid4()}/second-factor-reset",
             f"/staff/{uuid.uuid4()}/disable", f"/transfers/{world.busan}/release",
             "/destructions/extension", "/dead-letters/ingest/1/retry"]  # fmt: skip
    for path in paths:
        forms: list[dict[str, str | float | bool]] = [{}, {"csrf_token": "0" * 64}]
        for form in forms:
            refused = page.request.post(kim.base + path, form=form, max_redirects=0)
            assert refused.status == 403, path
            assert "보안 확인에 실패했습니다" in refused.text(), path
