"""The retention schedule: each kind's period from the last service date, one extension by an
operator, and the sweep that takes records past their period out of every citizen view."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.clock import KST
from tests.support.actors import Citizen, Institution, Operator, eventually
from tests.support.builders import inline, record_body
from tests.support.clock import clock_at
from tests.support.stack import sql, topic_envelopes
from tests.support.staff import StaffClient, staff_on

RRN, NAME, BIRTH = "660606-2101010", "윤보존", "1966-06-06"
PERIODS = {
    "patient_register": 5,
    "medical_record": 10,
    "prescription": 2,
    "surgery_record": 10,
    "test_record": 5,
    "radiology": 5,
    "nursing_record": 5,
    "midwifery_record": 5,
    "certificate_copy": 3,
}
LAST_SERVICE = date(2025, 11, 3)


@dataclass(frozen=True)
class Held:
    """One of each kind held for one citizen, and platform staff on catalog."""

    citizen: Citizen
    by_kind: dict[str, dict[str, Any]]
    operator: StaffClient


@pytest.fixture(scope="module")
def held(cluster: Cluster) -> Held:
    client_id, secret = Operator(cluster).register_client(["81000001"])
    vendor = Institution(cluster, client_id, secret)
    transfer = vendor.open_transfer("81000001", "오래된의원")
    for kind in PERIODS:
        body = record_body(
            RRN,
            NAME,
            BIRTH,
            inline(kind.encode(), "text/plain"),
            kind=kind,
            service_start="2025-11-01",
            service_end=LAST_SERVICE.isoformat(),
        )
        assert vendor.put_record(transfer, f"r-{kind}", body).status_code == 201
    citizen = Citizen(cluster, NAME, RRN)
    records = eventually(
        lambda: citizen.records() if len(citizen.records()) == len(PERIODS) else None,
        what="every kind in catalog",
    )
    operator = staff_on(cluster, "catalog", "platform", prefix="platform")
    return Held(citizen=citizen, by_kind={r["kind"]: r for r in records}, operator=operator)


def test_each_kind_is_kept_its_period_from_the_last_service_date(held: Held) -> None:
    for kind, years in PERIODS.items():
        until = held.by_kind[kind]["retention_until"]
        assert until == LAST_SERVICE.replace(year=LAST_SERVICE.year + years).isoformat(), kind


def test_one_extension_with_a_reason_and_no_second(cluster: Cluster, held: Held) -> None:
    record = held.by_kind["certificate_copy"]
    path = f"/v1/admin/records/{record['record_id']}/retention-extension"
    operator = held.operator
    assert operator.post(path, json={}).status_code == 422
    extended = operator.post(path, json={"reason": "소송 진행 중 증거 보전 요청"})
    assert extended.status_code == 200, extended.text
    assert extended.json()["retention_until"] == "2031-11-03"
    assert extended.json()["extended_by"] == operator.login  # the person, not a role
    again = operator.post(path, json={"reason": "한 번 더"})
    assert again.status_code == 409
    assert again.json()["type"].endswith("already-extended")
    mine = {r["kind"]: r for r in held.citizen.records()}
    assert mine["certificate_copy"]["retention_until"] == "2031-11-03"
    citizen_try = held.citizen.catalog.post(path, json={"reason": "나도"})
    assert citizen_try.status_code == 403

    def extension_in_history() -> dict[str, Any] | None:
        log = held.citizen.catalog.get("/v1/me/access-log").json()["items"]
        found = [e for e in log if e["action"] == "retention_extension"]
        return found[0] if found else None

    entry = eventually(extension_in_history, what="the extension in the citizen's history")
    # Named by organisation and role, never the person who extended it.
    assert entry["actor_type"] == "staff" and entry["actor_id"] == "khis:platform"
    assert entry["resource_id"] == record["record_id"]
    assert operator.login not in str(entry)


def test_the_sweep_takes_exactly_the_expired_records_out_of_view(
    cluster: Cluster, held: Held
) -> None:
    # On 2031-01-01 (Seoul) the 2-, 3- (not: extended to 2031-11-03) and 5-year records are past.
    assert held_in_directory(cluster) == len(PERIODS)
    moment = datetime(2031, 1, 1, 0, 30, tzinfo=KST)
    with clock_at(cluster, moment):
        swept = held.operator.post("/v1/admin/retention/sweep")
        assert swept.status_code == 200, swept.text
        assert swept.json()["as_of"] == "2031-01-01"
        assert swept.json()["due"] >= 6
        remaining = {r["kind"] for r in held.citizen.records()}
        assert remaining == {"medical_record", "surgery_record", "certificate_copy"}
    assert held_in_directory(cluster) == len(remaining)
    ids = [held.by_kind[k]["record_id"] for k in PERIODS]
    statuses = dict(
        sql(
            cluster,
            "catalog",
            "SELECT kind, status FROM records WHERE record_id = ANY($1::uuid[])",
            ids,
        )
    )
    assert statuses["prescription"] in ("due", "destroyed")
    assert statuses["medical_record"] == "available"
    due = [e for e in held_events(cluster) if e["data"]["record_id"] in ids]
    assert {e["data"]["record_id"] for e in due} == {
        held.by_kind[k]["record_id"] for k in PERIODS if PERIODS[k] in (2, 5)
    }


def test_a_second_sweep_finds_nothing_new(cluster: Cluster, held: Held) -> None:
    with clock_at(cluster, datetime(2031, 1, 1, 1, tzinfo=KST)):
        before = len(held_events(cluster))
        held.operator.post("/v1/admin/retention/sweep")
        assert len(held_events(cluster)) == before


def held_in_directory(cluster: Cluster) -> int:
    """The public directory's count of the institution's records a citizen is shown."""
    answer = httpx.get(f"{cluster.url('catalog')}/v1/institutions/81000001", timeout=30)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["record_count"])


def held_events(cluster: Cluster) -> list[dict[str, Any]]:
    def settled() -> list[dict[str, Any]] | None:
        if sql(cluster, "catalog", "SELECT 1 FROM outbox WHERE sent_at IS NULL"):
            return None
        return [
            e
            for e in topic_envelopes(cluster, "medrec.record.v1")
            if e["type"] == "RecordRetentionDue"
        ] or None

    return eventually(settled, what="catalog's outbox to drain") or []
