"""A record's end, through all four services: past its retention period it is destroyed beyond
recovery (object and data key gone, a log entry without personal data kept, out of every
citizen view, no copy possible); a suspended clinic that reopens takes its records back by
export, and what it does not take is destroyed when the grace period ends."""

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.clock import KST
from tests.support.actors import Citizen, Depositor, Operator, bearer, eventually
from tests.support.builders import content_digest, declared, inline, record_body, structured_medical
from tests.support.clock import MoveClock, moving_clock
from tests.support.ingest import IngestStore
from tests.support.stack import sql, topic_envelopes
from tests.support.staff import TwoPeople, staff_on

RRN, NAME, BIRTH = "790303-1472583", "한소멸", "1979-03-03"
CLOSED, SUSPENDED = "93000001", "93000002"
LAST_SERVICE = "2025-11-03"
# Kept 2, 3, 5 and 10 years from 2025-11-03: on 2029-01-01 the first two are past.
KINDS = ["prescription", "certificate_copy", "test_record", "medical_record"]
EXPIRED = {"prescription", "certificate_copy"}
COPIES = "medrec-copies"  # issuance's bucket


@dataclass(frozen=True)
class People:
    vendor: Depositor  # the closed and the suspended clinic's EMR vendor
    other_vendor: Depositor  # another vendor of the suspended clinic
    citizen: Citizen
    ingest_admin: httpx.Client  # platform staff, on ingest and on catalog (sweeps, logs)
    catalog_admin: httpx.Client
    releasers: TwoPeople  # platform staff on ingest: a release takes two people
    machine: httpx.Client  # the machine account, on ingest


@pytest.fixture(scope="module")
def people(cluster: Cluster) -> People:
    operator = Operator(cluster)
    client_id, secret = operator.register_client([CLOSED, SUSPENDED])
    other_id, other_secret = operator.register_client([SUSPENDED])
    return People(
        vendor=Depositor(cluster, client_id, secret),
        other_vendor=Depositor(cluster, other_id, other_secret),
        citizen=Citizen(cluster, NAME, RRN),
        ingest_admin=staff_on(cluster, "ingest", "platform", prefix="platform"),
        catalog_admin=staff_on(cluster, "catalog", "platform", prefix="platform"),
        releasers=TwoPeople(cluster, "ingest", "platform"),
        machine=httpx.Client(
            base_url=cluster.url("ingest"), timeout=60, headers=bearer(operator.token)
        ),
    )


@pytest.fixture
def moved_clock(cluster: Cluster) -> Iterator[MoveClock]:
    with moving_clock(cluster) as move:
        yield move


def a_record(kind: str, content: dict[str, Any]) -> dict[str, Any]:
    return record_body(
        RRN, NAME, BIRTH, content, kind=kind, service_start="2025-11-01", service_end=LAST_SERVICE
    )


def visible(citizen: Citizen, institution: str) -> dict[str, str]:
    return {r["record_id"]: r["kind"] for r in citizen.records(institution=institution)}


def test_the_sweep_destroys_exactly_the_records_past_their_period(
    cluster: Cluster, people: People, moved_clock: MoveClock
) -> None:
    vendor, citizen = people.vendor, people.citizen
    store = IngestStore(cluster)
    transfer = vendor.open_transfer(CLOSED, "소멸내과의원")
    for kind in KINDS:
        content = inline(f"{kind}: 소멸 시험 {NAME}".encode(), "text/plain")
        assert (
            vendor.put_record(transfer, f"end-{kind}", a_record(kind, content)).status_code == 201
        )
    rows = {r["kind"]: r for r in store.records(transfer)}
    ids = {kind: str(rows[kind]["record_id"]) for kind in KINDS}
    objects = {kind: rows[kind]["object_key"] for kind in KINDS}
    eventually(lambda: len(visible(citizen, CLOSED)) == len(KINDS), what="the records in catalog")
    copy = citizen.request_copy([ids["prescription"], ids["medical_record"]])
    citizen.wait_ready(copy["issuance_id"])
    status = f"/v1/issuances/{copy['issuance_id']}"
    document = f"{status}/document"
    assert citizen.issuance.get(document).status_code == 200

    def copy_objects() -> int:
        listed = store.s3.list_objects_v2(Bucket=COPIES, Prefix=f"copies/{copy['issuance_id']}")
        return int(listed.get("KeyCount", 0))

    assert copy_objects() == 1

    moved_clock(datetime(2029, 1, 1, 9, tzinfo=KST))
    swept = people.catalog_admin.post("/v1/admin/retention/sweep")
    assert swept.status_code == 200, swept.text
    assert set(visible(citizen, CLOSED).values()) == set(KINDS) - EXPIRED
    destroyed = {ids[k] for k in EXPIRED}
    eventually(
        lambda: (
            not store.fetch(
                "SELECT 1 FROM records WHERE record_id = ANY($1::uuid[])", list(destroyed)
            )
        ),
        what="ingest to destroy the expired records",
    )

    # The content is beyond recovery: objects gone, data keys gone with their rows.
    assert store.present(set(objects.values())) == {objects[k] for k in KINDS if k not in EXPIRED}
    kept = store.fetch(
        "SELECT kind, wrapped_dek FROM records WHERE transfer_id = $1", uuid.UUID(transfer)
    )
    assert sorted(r["kind"] for r in kept) == sorted(set(KINDS) - EXPIRED)

    # The log says what went, when and why, and nothing about whom.
    log = people.ingest_admin.get("/v1/admin/destructions", params={"institution": CLOSED})
    assert log.status_code == 200, log.text
    entries = {e["record_id"]: e for e in log.json()["items"]}
    assert set(entries) == destroyed
    entry = entries[ids["prescription"]]
    assert entry["kind"] == "prescription" and entry["institution_code"] == CLOSED
    assert entry["service_end"] == LAST_SERVICE and entry["reason"] == "retention_expired"
    assert entry["destroyed_at"]
    raw = store.fetch("SELECT row_to_json(d)::text AS row FROM destruction_log d")
    text = " ".join(r["row"] for r in raw)
    for personal in (RRN, RRN.replace("-", ""), NAME, BIRTH, "소멸 시험"):
        assert personal not in text
    assert (
        people.vendor.ingest.get(
            "/v1/admin/destructions", params={"institution": CLOSED}
        ).status_code
        == 403
    )

    # Catalog and issuance heard of it: no view, no new copy, the old copy's file gone.
    assert set(visible(citizen, CLOSED).values()) == set(KINDS) - EXPIRED
    refused = citizen.issuance.post("/v1/issuances", json={"record_ids": [ids["prescription"]]})
    assert refused.status_code == 404
    eventually(
        lambda: citizen.issuance.get(status).json()["status"] == "purged",
        what="the copy holding a destroyed record to be purged",
    )
    purged = citizen.issuance.get(document)
    assert purged.status_code == 410 and "retention" in purged.json()["detail"]
    assert copy_objects() == 0
    announced = [
        e["data"]["record_id"]
        for e in topic_envelopes(cluster, "medrec.record.v1")
        if e["type"] == "RecordDestroyed" and e["data"]["record_id"] in destroyed
    ]
    assert sorted(announced) == sorted(destroyed)


def test_release_export_and_destruction_after_grace(
    cluster: Cluster, people: People, moved_clock: MoveClock
) -> None:
    vendor, citizen, admin = people.vendor, people.citizen, people.ingest_admin
    store = IngestStore(cluster)
    transfer = vendor.open_transfer(SUSPENDED, "다시여는한의원", reason="suspension")
    # A DICOM file of 3 MiB and a bit: streamed in, exported in pieces.
    big = b"\0" * 128 + b"DICM" + bytes(range(256)) * (3 * 4096 + 7)
    deposited = {
        "back-note": (b"\xeb\xb3\x91\xec\x9b\x90 \x01\x02", "text/plain"),
        "back-chart": (structured_medical("재개원 전 진료"), "application/vnd.medrec.record+json"),
        "back-scan": (big, "application/dicom"),
    }
    for external_id, (data, content_type) in deposited.items():
        if external_id == "back-scan":
            body = a_record("radiology", declared(data, content_type))
            assert vendor.put_record(transfer, external_id, body).status_code == 201
            put = vendor.put_content(
                transfer, external_id, data, content_type, digest=content_digest(data)
            )
            assert put.status_code == 201, put.text
        else:
            body = a_record("medical_record", inline(data, content_type))
            assert vendor.put_record(transfer, external_id, body).status_code == 201
    eventually(lambda: len(visible(citizen, SUSPENDED)) == 3, what="the records in catalog")
    path = f"/v1/transfers/{transfer}"
    release = f"/v1/admin/transfers/{transfer}/release"  # staff's, off the public hosts

    assert vendor.ingest.get(f"{path}/export").json()["type"].endswith("not-released")
    assert vendor.ingest.post(release).status_code == 403
    closed = vendor.open_transfer(CLOSED, "소멸내과의원")
    releasers = people.releasers
    refused = releasers.post(f"/v1/admin/transfers/{closed}/release")
    assert refused.status_code == 409 and refused.json()["type"].endswith("not-suspended")
    assert releasers.post(f"/v1/admin/transfers/{uuid.uuid4()}/release").status_code == 404
    # a release is people's to decide, not the machine account's
    assert people.machine.post(release).status_code == 403

    released = releasers.decide(release)
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    grace_until = datetime.fromisoformat(released.json()["grace_until"])
    assert timedelta(days=89) < grace_until - datetime.now(KST) <= timedelta(days=90)
    again = releasers.confirm(release)
    assert (
        again.status_code == 200 and again.json()["grace_until"] == released.json()["grace_until"]
    )
    eventually(lambda: not visible(citizen, SUSPENDED), what="the records to leave the citizen")
    directory = httpx.Client(base_url=cluster.url("catalog"), timeout=30)
    eventually(
        lambda: directory.get(f"/v1/institutions/{SUSPENDED}").json()["status"] == "reopened",
        what="the directory to show the institution reopened",
    )
    late = vendor.put_record(
        transfer, "back-late", a_record("medical_record", inline(b"x", "text/plain"))
    )
    assert late.status_code == 409

    assert people.other_vendor.ingest.get(f"{path}/export").status_code == 404
    with vendor.ingest.stream("GET", f"{path}/export") as export:
        assert export.status_code == 200
        assert export.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in export.iter_lines() if line]
    assert [line["external_id"] for line in lines] == sorted(deposited)
    for line in lines:
        data, content_type = deposited[line["external_id"]]
        assert base64.b64decode(line["content"]["data_base64"]) == data
        assert line["content"]["content_type"] == content_type
        assert line["patient"] == {"rrn": RRN, "name": NAME, "birth_date": BIRTH, "sex": "male"}
    # Each line is a batch deposit line as it stands: the clinic's new system takes it back.
    assert set(lines[0]) == {
        "external_id", "patient", "kind", "specialty", "title", "department",
        "service_start", "service_end", "content",
    }  # fmt: skip

    objects = [r["object_key"] for r in store.records(transfer)]
    moved_clock(grace_until + timedelta(minutes=1))
    swept = admin.post("/v1/admin/releases/sweep")
    assert swept.status_code == 200, swept.text
    assert swept.json()["destroyed"] >= 3
    assert store.records(transfer) == []
    assert store.present(set(objects)) == set()
    over = vendor.ingest.get(f"{path}/export")
    assert over.status_code == 410 and over.json()["type"].endswith("grace-period-over")
    log = admin.get("/v1/admin/destructions", params={"institution": SUSPENDED}).json()["items"]
    assert len(log) == 3 and {e["reason"] for e in log} == {"release_not_reclaimed"}
    eventually(
        lambda: [r[0] for r in sql(cluster, "catalog",
                 "SELECT DISTINCT status FROM records WHERE institution_code = $1", SUSPENDED)]
        == ["destroyed"],
        what="catalog to hear of the destruction",
    )  # fmt: skip


def test_a_copy_of_a_record_withdrawn_meanwhile_fails_with_a_reason(
    cluster: Cluster, people: People
) -> None:
    """Catalog has not heard of the release yet (its worker is down) and still lists the record;
    ingest no longer gives its content: the copy fails, it does not hang."""
    vendor, citizen = people.vendor, people.citizen
    transfer = vendor.open_transfer(SUSPENDED, "다시여는한의원", reason="suspension")
    body = a_record("medical_record", inline(b"late copy", "text/plain"))
    record_id = vendor.put_record(transfer, "race-1", body).json()["record_id"]
    eventually(lambda: record_id in visible(citizen, SUSPENDED), what="the record in catalog")
    cluster.stop_process("catalog", "worker")
    try:
        assert people.releasers.decide(f"/v1/admin/transfers/{transfer}/release").status_code == 200
        copy = citizen.request_copy([record_id])
        path = f"/v1/issuances/{copy['issuance_id']}"
        final = eventually(
            lambda: citizen.issuance.get(path).json()["status"] in ("failed", "ready"),
            what="the copy to end",
        )
        assert final and citizen.issuance.get(path).json()["status"] == "failed"
    finally:
        cluster.start_process("catalog", "worker")
    eventually(lambda: record_id not in visible(citizen, SUSPENDED), what="catalog to catch up")
