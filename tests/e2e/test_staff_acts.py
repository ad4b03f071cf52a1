"""Staff acts as people (issue #27), over the whole stack: what cannot be undone takes two people
(an Art. 21 approval, a link of a record without an RRN, a transfer's release): the first
person's approval is only a proposal, the same person again is refused (409), a machine account
is refused (403), a different person confirms it and it is done; until then the requester sees
their request `submitted`, with no copy. The auditor finds each act under the person who did it;
the citizen's access history names 보관기관 심사관, never the login. A health centre sees its own
region's transfers, and another region's not at all."""

import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Depositor, Operator, bearer, eventually
from tests.support.builders import inline, record_body, structured_medical
from tests.support.stack import sql
from tests.support.staff import StaffClient, TwoPeople, audited, staff_on

pytestmark = pytest.mark.e2e

CODE_SEOUL, CODE_BUSAN = "72700001", "72700002"
PATIENT_RRN, PATIENT_NAME, BIRTH = "580808-1234565", "정미래", "1958-08-08"
LINKED_RRN, LINKED_NAME, LINKED_BIRTH = "620909-2345672", "오하람", "1962-09-09"
CONSENT = b"%PDF-1.4 consent form CONSENT-27"
KINSHIP = b"\x89PNG\r\n\x1a\n kinship certificate KINSHIP-27"


@dataclass(frozen=True)
class Office:
    """The people of the service and of two health centres, and the machine account."""

    reviewers: TwoPeople  # on issuance
    linkers: TwoPeople  # reviewers too, on catalog
    releasers: TwoPeople  # platform staff, on ingest
    auditor: StaffClient  # on catalog
    seoul: StaffClient  # a health centre of region 11, on ingest
    busan: StaffClient  # a health centre of region 26, on ingest
    machine: str  # the machine account's token


@pytest.fixture(scope="module")
def office(cluster: Cluster) -> Office:
    return Office(
        reviewers=TwoPeople(cluster, "issuance"),
        linkers=TwoPeople(cluster, "catalog"),
        releasers=TwoPeople(cluster, "ingest", "platform"),
        auditor=staff_on(cluster, "catalog", "auditor", prefix="auditor"),
        seoul=staff_on(
            cluster, "ingest", "health_centre", prefix="hc11", organisation="hc:11", region="11"
        ),
        busan=staff_on(
            cluster, "ingest", "health_centre", prefix="hc26", organisation="hc:26", region="26"
        ),
        machine=Operator(cluster).token,
    )


@pytest.fixture(scope="module")
def vendor(cluster: Cluster) -> Depositor:
    return Depositor(cluster, *Operator(cluster).register_client([CODE_SEOUL, CODE_BUSAN]))


def clinic(code: str, region: str) -> dict[str, str]:
    """An institution as deposited: its region in words, as institutions write it."""
    return {"code": code, "name": "미래의원", "type": "의원", "address": f"{region} 중구 1",
            "region": region}  # fmt: skip


def as_machine(office: Office, on: StaffClient, path: str, **kwargs: Any) -> httpx.Response:
    """A POST to `on`'s service as the machine account."""
    url = f"{on.base_url}".rstrip("/") + path
    return httpx.post(url, headers=bearer(office.machine), timeout=60, **kwargs)


def access_log(citizen: Citizen) -> list[dict[str, Any]]:
    response = citizen.catalog.get("/v1/me/access-log", params={"limit": "500"})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_an_art_21_copy_is_given_only_when_a_second_reviewer_confirms(
    cluster: Cluster, office: Office, vendor: Depositor
) -> None:
    transfer = vendor.open_transfer(CODE_SEOUL, "미래의원")
    body = record_body(PATIENT_RRN, PATIENT_NAME, BIRTH, inline("진료 기록".encode(), "text/plain"),
                       service_start="2025-03-01", service_end="2025-03-02")  # fmt: skip
    assert vendor.put_record(transfer, "p-1", body).status_code == 201
    patient = Citizen(cluster, PATIENT_NAME, PATIENT_RRN, phone="010-2727-0001")
    eventually(lambda: len(patient.records()) == 1, what="the patient's record in catalog")
    spouse = Citizen(cluster, "정하나", "600101-2234565", phone="010-2727-0002")
    submitted = spouse.issuance.post(
        "/v1/proxy-requests",
        data={"request": json.dumps({"patient": {"name": PATIENT_NAME, "rrn": PATIENT_RRN},
                                     "relation": "spouse"}, ensure_ascii=False)},
        files={"consent_form": ("c.pdf", CONSENT, "application/pdf"),
               "kinship_certificate": ("k.png", KINSHIP, "image/png")},
    )  # fmt: skip
    assert submitted.status_code == 202, submitted.text
    request_id = submitted.json()["request_id"]
    path = f"/v1/admin/proxy-requests/{request_id}"
    first, second = office.reviewers.first, office.reviewers.second

    assert first.get(path).status_code == 200  # read beside the names held: audited
    assert first.get(f"{path}/documents/consent_form").content == CONSENT
    # the machine account holds no review scope, and could not decide if it did
    refused = as_machine(office, first, f"{path}/approve", json={"reason": "자동"})
    assert refused.status_code == 403, refused.text

    proposed = first.post(f"{path}/approve", json={"reason": "서류 확인"})
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["status"] == "submitted"
    assert (proposed.json()["proposed_by"], proposed.json()["issuance_id"]) == (first.login, None)
    same = first.post(f"{path}/approve", json={"reason": "다시 확인"})
    assert same.status_code == 409, same.text
    assert same.headers["content-type"].startswith("application/problem+json")
    assert same.json()["type"].endswith("second-person-required")
    # the requester sees nothing of the proposal
    seen = spouse.issuance.get(f"/v1/proxy-requests/{request_id}").json()
    assert seen["status"] == "submitted" and seen.get("issuance_id") is None
    assert first.login not in json.dumps(seen)

    confirmed = second.post(f"{path}/approve", json={"reason": "재확인"})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "approved"
    assert confirmed.json()["reviewed_by"] == second.login
    issuance_id = confirmed.json()["issuance_id"]
    assert issuance_id
    assert spouse.issuance.get(f"/v1/proxy-requests/{request_id}").json()["status"] == "approved"
    spouse.wait_ready(issuance_id)

    # the auditor finds each act under the person who did it
    proposals = audited(office.auditor, actor=first.login, resource_id=request_id,
                        act="proxy_request.propose_approval")  # fmt: skip
    assert proposals[0]["organisation"] == "khis" and proposals[0]["roles"] == ["reviewer"]
    assert proposals[0]["reason"] == "서류 확인"
    approvals = audited(office.auditor, actor=second.login, act="proxy_request.approve")
    assert request_id in {e["resource_id"] for e in approvals}
    reads = audited(office.auditor, actor=first.login, act="proxy_request.read_document")
    assert reads[0]["actor_kind"] == "staff"
    # by whose data it was: the answer never carries the person's key
    key = sql(cluster, "issuance", "SELECT patient_person_key FROM proxy_requests "
              "WHERE request_id = $1::uuid", request_id)[0]["patient_person_key"]  # fmt: skip
    theirs = audited(office.auditor, subject=key, what="the acts on the patient's data")
    assert {first.login, second.login} <= {e["actor"] for e in theirs}
    assert key not in json.dumps(theirs)

    # the patient's history names the organisation and the role, never who
    def reviewer_read() -> list[dict[str, Any]] | None:
        entries = access_log(patient)
        return [e for e in entries if (e["actor_type"], e["resource_id"]) == ("staff", request_id)]

    entries = eventually(reviewer_read, what="the reviewers' reads in the patient's history")
    assert {e["actor_id"] for e in entries} == {"khis:reviewer"}
    history = json.dumps(access_log(patient), ensure_ascii=False)
    assert first.login not in history and second.login not in history


def test_a_record_without_an_rrn_is_linked_by_two_reviewers(
    cluster: Cluster, office: Office, vendor: Depositor
) -> None:
    person = Citizen(cluster, LINKED_NAME, LINKED_RRN, "010-2727-0003")
    known = "SELECT 1 FROM linkage_persons WHERE person_id = $1::uuid"
    eventually(lambda: sql(cluster, "catalog", known, person.person_id), what="catalog knows")
    transfer = vendor.open_transfer(CODE_SEOUL, "미래의원")
    stored = vendor.put_record(transfer, "paper-27", {
        "patient": {"name": LINKED_NAME, "birth_date": LINKED_BIRTH, "sex": "female"},
        "kind": "medical_record", "specialty": "medical", "title": "종이 차트",
        "service_start": "2001-01-02", "service_end": "2001-01-02",
        "content": inline(structured_medical("종이"), "application/vnd.medrec.record+json"),
    })  # fmt: skip
    assert stored.status_code == 201, stored.text
    record_id = stored.json()["record_id"]
    linkers = office.linkers

    def candidate() -> dict[str, Any] | None:
        listed = linkers.get("/v1/admin/linkage-candidates", params={"limit": "500"})
        return next((c for c in listed.json()["items"] if c["record_id"] == record_id), None)

    found = eventually(candidate, what="the record's candidate")
    approve = f"/v1/admin/linkage-candidates/{found['candidate_id']}/approve"
    machine = as_machine(office, linkers.first, approve, json={"reason": "자동"})
    assert machine.status_code == 403

    proposed = linkers.propose(approve, "이름·생년월일 일치")
    assert (proposed.json()["status"], proposed.json()["proposed_by"]) == (
        "pending", linkers.first.login
    )  # fmt: skip
    assert person.records() == []  # not linked by one person
    again = linkers.first.post(approve, json={"reason": "정말 일치"})
    assert again.status_code == 409 and again.json()["type"].endswith("second-person-required")
    confirmed = linkers.confirm(approve, "주소 확인")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "approved"
    assert confirmed.json()["decided_by"] == linkers.second.login
    eventually(lambda: [r for r in person.records() if r["record_id"] == record_id],
               what="the linked record in the person's list")  # fmt: skip

    linked = audited(
        office.auditor, actor=linkers.second.login, act="linkage_candidate.approve_link"
    )
    assert linked[0]["resource_id"] == found["candidate_id"]
    audited(office.auditor, actor=linkers.first.login, act="linkage_candidate.propose_link")

    def told() -> list[dict[str, Any]] | None:
        return [e for e in access_log(person)
                if e["action"] == "link" and e["resource_id"] == record_id] or None  # fmt: skip

    (entry,) = eventually(told, what="the link in the person's history")
    assert (entry["actor_type"], entry["actor_id"]) == ("staff", "khis:reviewer")


def test_a_release_takes_two_platform_people_and_a_health_centre_sees_its_region(
    office: Office, vendor: Depositor
) -> None:
    seoul = vendor.open_transfer(
        CODE_SEOUL, "미래의원", reason="suspension", institution=clinic(CODE_SEOUL, "서울")
    )
    busan = vendor.open_transfer(CODE_BUSAN, "바다의원", institution=clinic(CODE_BUSAN, "부산"))
    refused = vendor.put_record(seoul, "bad-27", {"kind": "medical_record"})
    assert refused.status_code == 422, refused.text
    release = f"/v1/admin/transfers/{seoul}/release"
    first, second = office.releasers.first, office.releasers.second

    machine = as_machine(office, first, release)
    assert machine.status_code == 403
    proposed = first.post(release, json={"reason": "재개원 확인"})
    assert proposed.status_code == 202, proposed.text
    assert proposed.json()["status"] == "release_proposed"
    assert proposed.json()["proposed_by"] == first.login
    assert vendor.transfer(seoul)["status"] == "open"  # nothing released yet
    assert first.post(release).status_code == 409
    released = second.post(release)
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"

    shown = first.get(f"/v1/admin/transfers/{seoul}").json()
    # what was refused, by external_id and problem: no personal data
    assert ("bad-27", refused.json()["title"]) in {
        (p["external_id"], p["problem"]) for p in shown["problems"]
    }
    assert shown["release"]["proposed_by"] == first.login
    assert shown["release"]["released_by"] == second.login
    audited(office.auditor, actor=second.login, act="transfer.release", resource_id=seoul)

    # a health centre sees its own region's transfers, by code or name, and no other
    def listed(centre: StaffClient, **params: str) -> set[str]:
        response = centre.get("/v1/admin/transfers", params={"limit": "500", **params})
        assert response.status_code == 200, response.text
        return {t["transfer_id"] for t in response.json()["items"]}

    assert seoul in listed(office.seoul) and busan not in listed(office.seoul)
    assert busan in listed(office.busan) and seoul not in listed(office.busan)
    assert listed(office.seoul, region="26") == set()  # asking for another region shows nothing
    assert busan in listed(first, region="26") and seoul not in listed(first, region="부산")
    assert office.seoul.get(f"/v1/admin/transfers/{seoul}").status_code == 200
    hidden = office.seoul.get(f"/v1/admin/transfers/{busan}")
    assert hidden.status_code == 404 and hidden.json()["type"].endswith("not-found")
    assert office.seoul.get(f"/v1/admin/transfers/{uuid.uuid4()}").status_code == 404
    # a health centre oversees; it does not release
    assert office.seoul.post(f"/v1/admin/transfers/{busan}/release").status_code == 403


def test_the_audit_trail_is_paged_searched_by_time_and_refuses_bad_input(office: Office) -> None:
    auditor = office.auditor
    audited(auditor, what="any act in the trail")
    first = auditor.get("/v1/admin/audit", params={"limit": "1"}).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = auditor.get("/v1/admin/audit", params={"limit": "1", "cursor": first["next_cursor"]})
    assert second.json()["items"][0]["event_id"] != first["items"][0]["event_id"]
    newest = first["items"][0]["occurred_at"]
    since = auditor.get("/v1/admin/audit", params={"since": newest, "limit": "500"}).json()
    assert first["items"][0]["event_id"] in {e["event_id"] for e in since["items"]}
    until = auditor.get("/v1/admin/audit", params={"until": "2000-01-01T00:00:00Z"}).json()
    assert until["items"] == []
    for bad in ({"limit": "0"}, {"since": "yesterday"}, {"actor": "a" * 65}, {"cursor": "x"}):
        refused = auditor.get("/v1/admin/audit", params=bad)
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"].startswith("application/problem+json")
    # the trail is the auditor's: a reviewer (who is in it) cannot read it
    assert office.linkers.first.get("/v1/admin/audit").status_code == 403
