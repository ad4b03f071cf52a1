"""A record without an RRN reaches its owner (issue #14): two verified persons share the
record's name and birth date (one verified before it arrived, one after) and a third was born
on another day; exactly the two are proposed; a reviewer sees both sides, two reviewers approve
one with a reason (one proposes, another confirms), and the record is that person's alone
(listed, copied, in their access log), the other candidate closed, a second decision refused;
an unlink withdraws it again. Bad decisions change nothing, and no name, birth date or RRN is in
any event, log line or candidate list."""

import json
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Institution, Operator, eventually
from tests.support.builders import inline, structured_medical
from tests.support.stack import sql, topic_envelopes
from tests.support.staff import TwoPeople

pytestmark = pytest.mark.e2e

CODE = "71400001"
# As the paper chart has it: the surname written with the initial ㄹ (두음법칙), a space, and
# the syllables decomposed (NFD), as an old export may store them.
CHART_NAME = unicodedata.normalize("NFD", "류 하늘")
NAME, BIRTH, OTHER_BIRTH = "유하늘", "1961-05-17", "1961-05-18"
RRN_A, RRN_B, RRN_C = "610517-2123451", "610517-2765432", "610518-2333334"
TOPICS = ["medrec.transfer.v1", "medrec.record.v1", "medrec.issuance.v1", "medrec.audit.v1"]


@dataclass(frozen=True)
class World:
    a: Citizen  # verified before the record arrived
    b: Citizen  # verified after; same name and birth date
    c: Citizen  # same name, born a day later
    admin: TwoPeople  # two reviewers, on catalog
    record_id: str


def catalog_knows(cluster: Cluster, person_id: str) -> bool:
    """catalog has handled the person's PersonVerified (there is no API to ask)."""
    return bool(sql(cluster, "catalog", "SELECT 1 FROM linkage_persons WHERE person_id = $1::uuid",
                    person_id))  # fmt: skip


def ingest_key(cluster: Cluster, record_id: str) -> str | None:
    """The person key ingest files the record under."""
    rows = sql(cluster, "ingest", "SELECT person_key FROM records WHERE record_id = $1::uuid",
               record_id)  # fmt: skip
    key: str | None = rows[0]["person_key"]
    return key


def logged(citizen: Citizen, action: str, resource_id: str) -> bool:
    log = citizen.catalog.get("/v1/me/access-log").json()["items"]
    return any(e["action"] == action and e["resource_id"] == resource_id for e in log)


def candidates(admin: TwoPeople, record_id: str, **params: str) -> list[dict[str, Any]]:
    response = admin.get("/v1/admin/linkage-candidates", params={"limit": "500", **params})
    assert response.status_code == 200, response.text
    return [c for c in response.json()["items"] if c["record_id"] == record_id]


@pytest.fixture(scope="module")
def world(cluster: Cluster) -> World:
    operator = Operator(cluster)
    vendor = Institution(cluster, *operator.register_client([CODE]))
    a = Citizen(cluster, NAME, RRN_A, "010-7140-0001")
    eventually(lambda: catalog_knows(cluster, a.person_id), what="catalog to know person A")
    transfer = vendor.open_transfer(CODE, "옛길한의원")
    body = {
        "patient": {"name": CHART_NAME, "birth_date": BIRTH, "sex": "female"},
        "kind": "medical_record",
        "specialty": "medical",
        "title": "외래 진료기록 (종이)",
        "service_start": "2019-03-02",
        "service_end": "2019-03-09",
        "content": inline(structured_medical("옛 종이 차트"), "application/vnd.medrec.record+json"),
    }
    stored = vendor.put_record(transfer, "paper-1", body)
    assert stored.status_code == 201, stored.text
    b = Citizen(cluster, NAME, RRN_B, "010-7140-0002")
    c = Citizen(cluster, NAME, RRN_C, "010-7140-0003")
    return World(a, b, c, TwoPeople(cluster, "catalog"), str(stored.json()["record_id"]))


def test_a_record_without_an_rrn_is_proposed_to_each_person_it_matches(
    cluster: Cluster, world: World
) -> None:
    def two() -> list[dict[str, Any]] | None:
        found = candidates(world.admin, world.record_id)
        return found if len(found) == 2 else None

    found = eventually(two, what="two candidates")
    assert {c["person_id"] for c in found} == {world.a.person_id, world.b.person_id}
    assert {c["status"] for c in found} == {"pending"}
    assert {c["matched_on"] for c in found} == {"name+birth_date+sex"}
    assert {c["institution"]["code"] for c in found} == {CODE}
    # C's verification was handled too, and proposed nothing
    eventually(lambda: catalog_knows(cluster, world.c.person_id), what="catalog to know C")
    assert len(candidates(world.admin, world.record_id)) == 2
    stats = world.admin.get("/v1/admin/stats").json()
    assert stats["unmatched_records"] >= 1 and stats["pending_candidates"] >= 2
    assert world.a.records() == [] and world.b.records() == []


def test_a_reviewer_sees_both_sides_and_the_person_is_told(world: World) -> None:
    mine = next(c for c in candidates(world.admin, world.record_id)
                if c["person_id"] == world.a.person_id)  # fmt: skip
    response = world.admin.get(f"/v1/admin/linkage-candidates/{mine['candidate_id']}")
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["record_demographics"] == {"name": CHART_NAME, "birth_date": BIRTH,
                                             "sex": "female"}  # fmt: skip
    assert detail["person_demographics"] == {"name": NAME, "birth_date": BIRTH, "sex": "female"}

    eventually(lambda: logged(world.a, "view", mine["candidate_id"]), what="the review in A's log")


def test_bad_decisions_are_refused_and_change_nothing(world: World) -> None:
    mine = next(c for c in candidates(world.admin, world.record_id)
                if c["person_id"] == world.a.person_id)  # fmt: skip
    approve = f"/v1/admin/linkage-candidates/{mine['candidate_id']}/approve"
    nobody = "/v1/admin/linkage-candidates/01900000-0000-7000-8000-000000000000/approve"
    refusals = [
        (world.admin.post(nobody, json={"reason": "같은 사람"}), 404),
        (world.admin.post(approve, json={}), 422),
        (world.admin.post(approve, json={"reason": ""}), 422),
        (world.a.catalog.post(approve, json={"reason": "제 기록입니다"}), 403),
        (
            world.admin.post(f"/v1/admin/records/{world.record_id}/unlink", json={"reason": "x"}),
            409,
        ),
    ]
    for response, status in refusals:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert {c["status"] for c in candidates(world.admin, world.record_id)} == {"pending"}
    assert world.a.records() == []


def test_an_approved_record_is_the_persons_alone_until_it_is_unlinked(
    cluster: Cluster, world: World
) -> None:
    found = {c["person_id"]: c for c in candidates(world.admin, world.record_id)}
    mine, theirs = found[world.a.person_id], found[world.b.person_id]
    approved = world.admin.decide(
        f"/v1/admin/linkage-candidates/{mine['candidate_id']}/approve",
        "보호자 통화로 생년월일과 주소 확인",
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"

    listed = eventually(world.a.records, what="the record in A's list")
    assert [r["record_id"] for r in listed] == [world.record_id]
    assert world.b.records() == [] and world.c.records() == []
    after = {c["person_id"]: c["status"] for c in candidates(world.admin, world.record_id)}
    assert after == {world.a.person_id: "approved", world.b.person_id: "closed"}
    for decision, candidate in (("approve", mine), ("reject", theirs), ("approve", theirs)):
        again = world.admin.post(
            f"/v1/admin/linkage-candidates/{candidate['candidate_id']}/{decision}",
            json={"reason": "다시"},
        )
        assert again.status_code == 409, again.text

    ready = world.a.wait_ready(world.a.request_copy([world.record_id])["issuance_id"])
    assert ready["pages"] >= 2  # the cover and the record
    copy = f"/v1/issuances/{ready['issuance_id']}"
    assert world.a.issuance.get(f"{copy}/document").status_code == 200
    eventually(lambda: logged(world.a, "link", world.record_id), what="the link in A's log")
    log = world.a.catalog.get("/v1/me/access-log").json()["items"]
    linked = [e for e in log if e["action"] == "link" and e["resource_id"] == world.record_id]
    assert len(linked) == 1 and linked[0]["occurred_at"]
    # by the organisation and role: who the reviewers were is the auditor's to read
    assert linked[0]["actor_type"] == "staff" and linked[0]["actor_id"] == "khis:reviewer"
    # ingest files it under A's key: it is destroyed and withdrawn as A's from now on
    eventually(lambda: ingest_key(cluster, world.record_id), what="ingest to file it under A")

    unlinked = world.admin.post(
        f"/v1/admin/records/{world.record_id}/unlink", json={"reason": "동명이인으로 확인"}
    )
    assert unlinked.status_code == 200, unlinked.text
    assert world.a.records() == []
    refused = world.a.issuance.post("/v1/issuances", json={"record_ids": [world.record_id]})
    assert refused.status_code == 404, refused.text
    after = {c["person_id"]: c["status"] for c in candidates(world.admin, world.record_id)}
    assert after == {world.a.person_id: "unlinked", world.b.person_id: "pending"}
    eventually(lambda: logged(world.a, "unlink", world.record_id), what="the unlink in A's log")
    eventually(
        lambda: ingest_key(cluster, world.record_id) is None, what="ingest to take it from A"
    )
    # The copy made for A while it was linked goes too: A must not keep another's record.
    eventually(
        lambda: world.a.issuance.get(copy).json()["status"] == "purged",
        what="A's copy holding the unlinked record to be purged",
    )
    assert "신청인의 기록이 아닌" in world.a.issuance.get(copy).json()["failure_reason"]
    gone = world.a.issuance.get(f"{copy}/document")
    assert gone.status_code == 410 and "another person" in gone.json()["detail"]
    (row,) = sql(cluster, "issuance", "SELECT object_key, wrapped_dek FROM issuances "
                 "WHERE issuance_id = $1", uuid.UUID(ready["issuance_id"]))  # fmt: skip
    assert row["object_key"] is None and row["wrapped_dek"] is None


def test_a_copy_still_pending_when_its_record_is_unlinked_is_never_made(
    cluster: Cluster, world: World
) -> None:
    """B is approved now, and asks for a copy while issuance's worker is down (so the copy is
    held pending); the record is unlinked from B before the worker comes back. The copy ends
    failed with a reason B reads, nothing is stored, and B can never download it."""
    theirs = next(c for c in candidates(world.admin, world.record_id)
                  if c["person_id"] == world.b.person_id)  # fmt: skip
    approved = world.admin.decide(
        f"/v1/admin/linkage-candidates/{theirs['candidate_id']}/approve", "주소와 전화번호 확인"
    )
    assert approved.status_code == 200, approved.text
    eventually(world.b.records, what="the record in B's list")
    cluster.stop_process("issuance", "worker")
    try:
        pending = world.b.request_copy([world.record_id])
        copy = f"/v1/issuances/{pending['issuance_id']}"
        unlinked = world.admin.post(
            f"/v1/admin/records/{world.record_id}/unlink", json={"reason": "다른 사람으로 확인"}
        )
        assert unlinked.status_code == 200, unlinked.text
        assert world.b.issuance.get(copy).json()["status"] == "pending"
    finally:
        cluster.start_process("issuance", "worker")

    def settled() -> dict[str, Any] | None:
        body: dict[str, Any] = world.b.issuance.get(copy).json()
        return body if body["status"] != "pending" else None

    ended = eventually(settled, what="B's pending copy to be settled")
    assert ended["status"] == "failed", ended
    assert "신청인의 기록이 아닌" in ended["failure_reason"]
    assert ended["pages"] is None and ended["sha256"] is None
    document = world.b.issuance.get(f"{copy}/document")
    assert document.status_code == 409, document.text
    (row,) = sql(cluster, "issuance", "SELECT object_key, wrapped_dek FROM issuances "
                 "WHERE issuance_id = $1", uuid.UUID(pending["issuance_id"]))  # fmt: skip
    assert row["object_key"] is None and row["wrapped_dek"] is None


def test_no_name_birth_date_or_rrn_in_any_event_log_line_or_list(
    cluster: Cluster, world: World
) -> None:
    rrns = [form for rrn in (RRN_A, RRN_B, RRN_C) for form in (rrn, rrn.replace("-", ""))]
    names = [NAME, CHART_NAME, unicodedata.normalize("NFC", CHART_NAME), "하늘"]
    forbidden = [*names, BIRTH, OTHER_BIRTH, *rrns]
    escaped = [json.dumps(v)[1:-1] for v in forbidden]  # as JSON writes it (\uXXXX)
    texts = {f"topic {t}": json.dumps(topic_envelopes(cluster, t), ensure_ascii=False)
             for t in TOPICS}  # fmt: skip
    texts |= {f"log {p.name}": p.read_text(errors="replace") for p in cluster.logs.glob("*.log")}
    texts["candidate list"] = world.admin.get("/v1/admin/linkage-candidates").text
    for where, text in texts.items():
        for value in [*forbidden, *escaped]:
            assert value not in text, f"{value!r} found in {where}"
    assert any("PersonVerified" in t for t in texts.values())
