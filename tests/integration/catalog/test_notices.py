"""Notices through the whole stack: issuance asks (copy_ready), catalog's retention sweep asks
(retention_ending, once per record however often it runs), catalog keeps each in the person's
알림함 once, sends what the person's choices want sent (the sandbox sender: a log line with
the kind and the notice id), and tells nobody who never signed in. The stack's logs carry no
name, RRN, phone or notice text."""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from medrec_devstack.cluster import Cluster
from medrec_shared.rules.retention import add_years
from tests.support.actors import Citizen, Institution, Operator, eventually
from tests.support.builders import inline, record_body
from tests.support.stack import sql
from tests.support.staff import StaffClient, staff_on

RRN, NAME, BIRTH, PHONE = "770707-1232323", "강알림", "1977-07-07", "010-7777-2323"
NEVER_RRN, NEVER_NAME = "770707-2454545", "문미가입"
CLINIC, NEVER_CLINIC = "62000001", "62000002"
TODAY = date.today()  # the stack's clock is real time here


def ending_in(days: int) -> str:
    """The service date whose 10-year medical_record retention ends in `days` days."""
    return add_years(TODAY + timedelta(days=days), -10).isoformat()


@dataclass(frozen=True)
class Setting:
    citizen: Citizen
    records: dict[str, dict[str, Any]]  # by title
    operator: StaffClient


@pytest.fixture(scope="module")
def setting(cluster: Cluster) -> Setting:
    client_id, secret = Operator(cluster).register_client([CLINIC, NEVER_CLINIC])
    vendor = Institution(cluster, client_id, secret)
    mine = vendor.open_transfer(CLINIC, "알림내과의원")
    theirs = vendor.open_transfer(NEVER_CLINIC, "미가입의원")
    for external_id, days in (("soon", 60), ("later", 200)):
        end = ending_in(days)
        body = record_body(
            RRN, NAME, BIRTH, inline(b"x", "text/plain"), title=external_id,
            service_start=end, service_end=end,
        )  # fmt: skip
        assert vendor.put_record(mine, external_id, body).status_code == 201
    end = ending_in(60)
    never = record_body(
        NEVER_RRN, NEVER_NAME, BIRTH, inline(b"y", "text/plain"), service_start=end,
        service_end=end,
    )  # fmt: skip
    assert vendor.put_record(theirs, "never", never).status_code == 201
    citizen = Citizen(cluster, NAME, RRN, phone=PHONE)
    records = eventually(
        lambda: (
            {r["title"]: r for r in citizen.records()}
            if len(citizen.records()) == 2
            and all(r["institution"]["name"] for r in citizen.records())
            else None
        ),
        what="the citizen's two records in catalog",
    )
    eventually(
        lambda: sql(cluster, "catalog", "select 1 from records where institution_code = $1",
                    NEVER_CLINIC) or None,
        what="the record of someone who never signed in",
    )  # fmt: skip
    eventually(
        lambda: sql(cluster, "catalog", "select 1 from notice_people") or None,
        what="catalog to know the citizen signed in",
    )
    operator = staff_on(cluster, "catalog", "platform", prefix="notices")
    return Setting(citizen=citizen, records=records, operator=operator)


def notices(citizen: Citizen) -> dict[str, Any]:
    response = citizen.catalog.get("/v1/me/notices")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def of_kind(citizen: Citizen, kind: str) -> list[dict[str, Any]]:
    return [n for n in notices(citizen)["items"] if n["kind"] == kind]


def test_a_copy_made_tells_its_requester_in_the_notice_box(setting: Setting) -> None:
    citizen = setting.citizen
    asked = citizen.request_copy([setting.records["later"]["record_id"]])
    ready = citizen.wait_ready(asked["issuance_id"])
    found = eventually(lambda: of_kind(citizen, "copy_ready") or None, what="copy_ready")
    assert len(found) == 1
    notice = found[0]
    assert notice["params"] == {"number": ready["issuance_number"]}
    assert ready["issuance_number"] in notice["text"] and notice["label"] == "서류 발급 완료"
    assert notice["read_at"] is None
    unread = notices(citizen)["unread"]
    assert unread >= 1
    read = citizen.catalog.post(f"/v1/me/notices/{notice['notice_id']}/read")
    assert read.status_code == 204
    assert citizen.catalog.post(f"/v1/me/notices/{notice['notice_id']}/read").status_code == 204
    after = notices(citizen)
    assert after["unread"] == unread - 1
    assert [n["read_at"] for n in after["items"] if n["notice_id"] == notice["notice_id"]] != [None]
    other = citizen.catalog.post("/v1/me/notices/00000000-0000-7000-8000-000000000000/read")
    assert other.status_code == 404 and other.headers["content-type"].startswith(
        "application/problem+json"
    )


def test_a_record_ending_in_90_days_is_told_once_however_often_the_sweep_runs(
    cluster: Cluster, setting: Setting
) -> None:
    for _ in range(3):
        swept = setting.operator.post("/v1/admin/retention/sweep")
        assert swept.status_code == 200, swept.text
    found = of_kind(setting.citizen, "retention_ending")
    assert len(found) == 1  # "soon" only: "later" ends in 200 days
    text = found[0]["text"]
    until = add_years(date.fromisoformat(setting.records["soon"]["service_end"]), 10)
    assert "알림내과의원" in text and "진료기록부" in text and until.isoformat() in text
    assert "사본 발급" in text  # how to get a copy first
    rows = sql(
        cluster,
        "catalog",
        "select notice_key from notices where kind = 'retention_ending' and notice_key = $1",
        f"retention:{setting.records['soon']['record_id']}",
    )
    assert len(rows) == 1


def test_someone_who_never_signed_in_is_told_nothing(cluster: Cluster, setting: Setting) -> None:
    assert setting.operator.post("/v1/admin/retention/sweep").status_code == 200
    never = "select person_key from records where institution_code = $1"
    for table in ("notices", "notice_people", "notice_deliveries"):
        rows = sql(cluster, "catalog", f"select 1 from {table} where person_key in ({never})",
                   NEVER_CLINIC)  # fmt: skip
        assert rows == [], table


def test_a_kind_switched_off_is_kept_in_the_box_but_not_sent(
    cluster: Cluster, setting: Setting
) -> None:
    citizen = setting.citizen
    defaults = citizen.catalog.get("/v1/me/notice-preferences").json()["kinds"]
    assert set(defaults.values()) == {True} and "copy_ready" in defaults
    bad = citizen.catalog.put("/v1/me/notice-preferences", json={"kinds": {"spam": False}})
    assert bad.status_code == 422
    assert citizen.catalog.get("/v1/me/notice-preferences").json()["kinds"] == defaults
    off = citizen.catalog.put("/v1/me/notice-preferences", json={"kinds": {"copy_ready": False}})
    assert off.status_code == 200 and off.json()["kinds"]["copy_ready"] is False
    assert off.json()["kinds"]["retention_ending"] is True  # the others keep theirs
    asked = citizen.request_copy([setting.records["soon"]["record_id"]])
    ready = citizen.wait_ready(asked["issuance_id"])
    quiet = eventually(
        lambda: [
            n for n in of_kind(citizen, "copy_ready")
            if n["params"]["number"] == ready["issuance_number"]
        ] or None,
        what="the second copy's notice in the box",
    )[0]  # fmt: skip
    delivered = "select status from notice_deliveries where notice_id = $1"
    assert sql(cluster, "catalog", delivered, uuid.UUID(quiet["notice_id"])) == []
    # the first copy's, asked while every kind was on, was sent by the sandbox sender
    sent = [n for n in of_kind(citizen, "copy_ready") if n["notice_id"] != quiet["notice_id"]]
    first = uuid.UUID(sent[0]["notice_id"])
    eventually(
        lambda: (
            [r["status"] for r in sql(cluster, "catalog", delivered, first)] == ["sent"] or None
        ),
        what="the first copy's notice sent",
    )
    log = (cluster.logs / "catalog-worker.log").read_text()
    assert sent[0]["notice_id"] in log and quiet["notice_id"] not in log


def test_no_personal_data_in_the_stacks_logs(cluster: Cluster, setting: Setting) -> None:
    texts = [n["text"] for n in notices(setting.citizen)["items"]]
    digits = PHONE.replace("-", "")
    for path in cluster.logs.glob("*.log"):
        log = path.read_text(errors="replace")
        for secret in (NAME, NEVER_NAME, RRN, NEVER_RRN, PHONE, digits, *texts):
            assert secret not in log, (path.name, "personal data or a notice's text")
