"""Relatives and proxies (Art. 21): a request with documents, reviewers' review (an approval is
one reviewer's proposal confirmed by another: tests/e2e/test_staff_acts.py has the two-person
rule itself), and one certified copy for the requester on approval; everything in the patient's
access log."""

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from minio import Minio

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Institution, Operator, eventually
from tests.support.builders import inline, record_body
from tests.support.staff import TwoPeople

pytestmark = pytest.mark.e2e

PATIENT_RRN, PATIENT_NAME, BIRTH = "520606-1234560", "최영수", "1952-06-06"
# A second record under the patient's RRN, deposited under another name (a clinic's typo, or
# another person's RRN typed there): never copied for a request naming 최영수.
MISFILED_NAME = "최영식"
MASKED_RRN = "520606-1******"
CONSENT = b"%PDF-1.4 consent form signed by the patient CONSENT-91c2"
KINSHIP = b"\x89PNG\r\n\x1a\n family relation certificate KINSHIP-4d1e"


@dataclass(frozen=True)
class Setting:
    """A patient with one record, their spouse, and two reviewers on issuance's admin routes."""

    patient: Citizen
    spouse: Citizen
    admin: TwoPeople


@pytest.fixture(scope="module")
def setting(cluster: Cluster) -> Setting:
    client_id, secret = Operator(cluster).register_client(["71000001"])
    vendor = Institution(cluster, client_id, secret)
    transfer = vendor.open_transfer("71000001", "사랑요양병원")
    body = record_body(
        PATIENT_RRN,
        PATIENT_NAME,
        BIRTH,
        inline("간호 기록".encode(), "text/plain"),
        kind="nursing_record",
        service_start="2025-06-01",
        service_end="2025-06-02",
    )
    assert vendor.put_record(transfer, "n-1", body).status_code == 201
    misfiled = record_body(
        PATIENT_RRN, MISFILED_NAME, BIRTH, inline("다른 기록".encode(), "text/plain"),
        kind="nursing_record", service_start="2025-07-01", service_end="2025-07-01",
    )  # fmt: skip
    assert vendor.put_record(transfer, "n-2", misfiled).status_code == 201
    patient = Citizen(cluster, PATIENT_NAME, PATIENT_RRN, phone="010-5555-0001")
    eventually(lambda: len(patient.records()) == 2, what="the patient's records in catalog")
    spouse = Citizen(cluster, "김순자", "550707-2234561", phone="010-5555-0002")
    return Setting(patient=patient, spouse=spouse, admin=TwoPeople(cluster, "issuance"))


def submit(
    citizen: Citizen,
    relation: str = "spouse",
    name: str = PATIENT_NAME,
    **files: tuple[str, bytes, str],
) -> httpx.Response:
    request = {"patient": {"name": name, "rrn": PATIENT_RRN}, "relation": relation}
    files = files or {
        "consent_form": ("consent.pdf", CONSENT, "application/pdf"),
        "kinship_certificate": ("kinship.png", KINSHIP, "image/png"),
    }
    return citizen.issuance.post(
        "/v1/proxy-requests", data={"request": json.dumps(request, ensure_ascii=False)}, files=files
    )


def test_an_approved_request_gives_the_requester_one_certified_copy(
    cluster: Cluster, setting: Setting
) -> None:
    spouse, admin, patient = setting.spouse, setting.admin, setting.patient
    submitted = submit(spouse)
    assert submitted.status_code == 202, submitted.text
    request_id = submitted.json()["request_id"]
    assert spouse.issuance.get(f"/v1/proxy-requests/{request_id}").json()["status"] == "submitted"

    queue = admin.get("/v1/admin/proxy-requests").json()["items"]
    mine = next(r for r in queue if r["request_id"] == request_id)
    assert {d["kind"] for d in mine["documents"]} == {"consent_form", "kinship_certificate"}
    assert PATIENT_NAME not in json.dumps(mine, ensure_ascii=False)
    document = admin.get(f"/v1/admin/proxy-requests/{request_id}/documents/consent_form")
    assert document.content == CONSENT
    # Reviewers download what citizens sent: never shown inline, never sniffed into HTML.
    assert document.headers["content-disposition"] == 'attachment; filename="consent_form.pdf"'
    assert document.headers["x-content-type-options"] == "nosniff"

    approved = admin.decide(
        f"/v1/admin/proxy-requests/{request_id}/approve", "가족관계증명서와 동의서 확인"
    )
    assert approved.status_code == 200, approved.text
    issuance_id = approved.json()["issuance_id"]
    status = spouse.issuance.get(f"/v1/proxy-requests/{request_id}").json()
    assert (status["status"], status["issuance_id"]) == ("approved", issuance_id)

    ready = spouse.wait_ready(issuance_id)
    assert ready["record_count"] == 1
    pdf = spouse.issuance.get(f"/v1/issuances/{issuance_id}/document")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert patient.issuance.get(f"/v1/issuances/{issuance_id}").status_code == 404

    again = admin.post(f"/v1/admin/proxy-requests/{request_id}/approve", json={"reason": "again"})
    assert again.status_code == 409

    def proxy_entries() -> list[dict[str, Any]] | None:
        items = patient.catalog.get("/v1/me/access-log", params={"limit": 500}).json()["items"]
        found = [e for e in items if e["actor_type"] == "proxy"]
        return found if len(found) >= 2 else None

    entries = eventually(proxy_entries, what="the proxy's acts in the patient's access log")
    assert {e["actor_id"] for e in entries} == {spouse.person_id}
    assert any(e["reason"].startswith("approved") for e in entries)


def test_a_rejected_request_gives_nothing(setting: Setting) -> None:
    spouse, admin = setting.spouse, setting.admin
    request_id = submit(spouse).json()["request_id"]
    rejected = admin.post(
        f"/v1/admin/proxy-requests/{request_id}/reject",
        json={"reason": "동의서의 서명이 환자의 것이 아님"},
    )
    assert rejected.status_code == 200
    status = spouse.issuance.get(f"/v1/proxy-requests/{request_id}").json()
    assert status["status"] == "rejected"
    assert status["reason"] == "동의서의 서명이 환자의 것이 아님"
    assert "issuance_id" not in status
    late = admin.post(f"/v1/admin/proxy-requests/{request_id}/approve", json={"reason": "x"})
    assert late.status_code == 409

    def decided() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = spouse.catalog.get("/v1/me/notices").json()["items"]
        found = [n for n in items if n["kind"] == "proxy_decided"
                 and n["params"]["request_id"] == request_id]  # fmt: skip
        return found or None

    # the requester is told the decision, never the patient nor the reason
    notice = eventually(decided, what="proxy_decided in the requester's 알림함")[0]
    assert notice["params"]["decision"] == "반려" and "반려" in notice["text"]
    assert "동의서" not in notice["text"] and PATIENT_NAME not in notice["text"]


def test_documents_are_kept_encrypted(cluster: Cluster, setting: Setting) -> None:
    request_id = submit(setting.spouse).json()["request_id"]
    assert cluster.infra is not None
    s3 = Minio(
        cluster.infra.s3_url.removeprefix("http://"),
        access_key=cluster.infra.s3_access_key,
        secret_key=cluster.infra.s3_secret_key,
        secure=False,
    )
    raw = s3.get_object("medrec-copies", f"proxy/{request_id}/consent_form").read()
    assert b"CONSENT-91c2" not in raw and len(raw) > len(CONSENT)


@pytest.mark.parametrize(
    ("relation", "files", "field"),
    [
        ("spouse", {"consent_form": ("c.pdf", CONSENT, "application/pdf")}, "kinship_certificate"),
        ("proxy", {"consent_form": ("c.pdf", CONSENT, "application/pdf")}, "power_of_attorney"),
        ("neighbour", {}, "request.relation"),
        (
            "spouse",
            {
                "consent_form": ("c.exe", b"MZ", "application/x-msdownload"),
                "kinship_certificate": ("k.png", KINSHIP, "image/png"),
            },
            "consent_form",
        ),
        (
            "spouse",
            {  # declared a PDF, but an HTML page that a browser would run
                "consent_form": ("c.pdf", b"<html><script>alert(1)</script>", "application/pdf"),
                "kinship_certificate": ("k.png", KINSHIP, "image/png"),
            },
            "consent_form",
        ),
        (
            "spouse",
            {
                "consent_form": ("c.pdf", CONSENT, "application/pdf"),
                "kinship_certificate": ("k.png", CONSENT, "image/png"),
            },
            "kinship_certificate",
        ),
    ],
)
def test_incomplete_requests_are_refused(
    cluster: Cluster, setting: Setting, relation: str, files: dict[str, Any], field: str
) -> None:
    admin = setting.admin
    before = len(admin.get("/v1/admin/proxy-requests", params={"limit": 500}).json()["items"])
    response = submit(setting.spouse, relation, **files)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    after = len(admin.get("/v1/admin/proxy-requests", params={"limit": 500}).json()["items"])
    assert after == before


def test_only_reviewers_review(setting: Setting) -> None:
    spouse = setting.spouse
    assert spouse.issuance.get("/v1/admin/proxy-requests").status_code == 403
    request_id = submit(spouse).json()["request_id"]
    assert (
        spouse.issuance.post(
            f"/v1/admin/proxy-requests/{request_id}/approve", json={"reason": "me"}
        ).status_code
        == 403
    )
    assert setting.patient.issuance.get(f"/v1/proxy-requests/{request_id}").status_code == 404


def test_a_requester_lists_their_own_requests_newest_first_a_page_at_a_time(
    cluster: Cluster, setting: Setting
) -> None:
    sibling = Citizen(cluster, "최영희", "580303-2234569", phone="010-5555-0003")
    assert sibling.issuance.get("/v1/proxy-requests").json() == {"items": [], "next_cursor": None}
    submitted = [submit(sibling, "sibling").json()["request_id"] for _ in range(3)]
    rejected = setting.admin.post(
        f"/v1/admin/proxy-requests/{submitted[0]}/reject", json={"reason": "서류 불명확"}
    )
    assert rejected.status_code == 200

    first = sibling.issuance.get("/v1/proxy-requests", params={"limit": 2}).json()
    assert [r["request_id"] for r in first["items"]] == submitted[:0:-1]  # newest first
    assert first["next_cursor"] == submitted[1]
    rest = sibling.issuance.get(
        "/v1/proxy-requests", params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [r["request_id"] for r in rest["items"]] == [submitted[0]]
    assert rest["next_cursor"] is None
    oldest = rest["items"][0]
    assert (oldest["status"], oldest["reason"], oldest["relation"]) == (
        "rejected",
        "서류 불명확",
        "sibling",
    )
    assert set(oldest) == {
        "request_id", "status", "relation", "reason", "issuance_id", "institution_code",
        "created_at", "outcome",
    }  # fmt: skip
    listed = json.dumps(first | rest, ensure_ascii=False)
    assert PATIENT_NAME not in listed and PATIENT_RRN not in listed  # no other person's data

    # No one else's: the patient and the spouse list none of the sibling's requests.
    for other in (setting.patient, setting.spouse):
        items = other.issuance.get("/v1/proxy-requests", params={"limit": 500}).json()["items"]
        assert not {r["request_id"] for r in items} & set(submitted)


@pytest.mark.parametrize(
    "params", [{"limit": "0"}, {"limit": "501"}, {"limit": "x"}, {"cursor": "not-a-uuid"}]
)
def test_a_bad_page_of_own_requests_is_a_problem(setting: Setting, params: dict[str, str]) -> None:
    response = setting.spouse.issuance.get("/v1/proxy-requests", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"]


def test_the_list_of_own_requests_documents_its_problems(cluster: Cluster) -> None:
    document = httpx.get(f"{cluster.url('issuance')}/openapi.json").json()
    responses = document["paths"]["/v1/proxy-requests"]["get"]["responses"]
    for status in ("401", "403", "422", "default"):
        assert "application/problem+json" in responses[status]["content"], status


# --- Art. 21 review: the typed patient against what is held (issue #25, 1) ------------------
KINSHIP_ONLY = {"kinship_certificate": ("kinship.png", KINSHIP, "image/png")}


def access_log(citizen: Citizen) -> list[dict[str, Any]]:
    response = citizen.catalog.get("/v1/me/access-log", params={"limit": 500})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_strangers_rrn_under_another_name_is_approved_with_nothing_to_copy(
    cluster: Cluster, setting: Setting
) -> None:
    admin, patient = setting.admin, setting.patient
    stranger = Citizen(cluster, "박도윤", "900101-1234568", phone="010-5555-0004")
    submitted = submit(stranger, "relative_of_deceased_or_incapable", "홍길동", **KINSHIP_ONLY)
    assert submitted.status_code == 202, submitted.text
    request_id = submitted.json()["request_id"]

    review = admin.get(f"/v1/admin/proxy-requests/{request_id}")
    assert review.status_code == 200, review.text
    detail = review.json()
    assert detail["patient"] == {
        "name": "홍길동", "rrn": MASKED_RRN, "birth_date": BIRTH, "sex": "male",
    }  # fmt: skip
    assert PATIENT_RRN not in review.text
    assert {(h["name"], h["records"], h["matches"]) for h in detail["held_names"]} == {
        (PATIENT_NAME, 1, False),
        (MISFILED_NAME, 1, False),
    }
    assert detail["name_matches"] is False
    assert [d["kind"] for d in detail["documents"]] == ["kinship_certificate"]

    approved = admin.decide(f"/v1/admin/proxy-requests/{request_id}/approve", "증명서 확인")
    assert approved.status_code == 200, approved.text
    for seen in (approved.json(), stranger.issuance.get(f"/v1/proxy-requests/{request_id}").json()):
        assert seen["status"] == "approved"
        assert seen.get("issuance_id") is None
        assert "nothing to copy" in seen["outcome"]
    mine = stranger.issuance.get("/v1/proxy-requests").json()["items"]
    assert "nothing to copy" in next(r for r in mine if r["request_id"] == request_id)["outcome"]

    def recorded() -> list[dict[str, Any]] | None:
        entries = access_log(patient)
        review_read = [
            e for e in entries
            if (e["actor_type"], e["action"], e["resource_id"]) == ("staff", "view", request_id)
        ]  # fmt: skip
        name_reads = [
            e for e in entries
            if e["actor_type"] == "service" and e["resource_type"] == "record_demographics"
            and "Art. 21 review" in (e["reason"] or "")
        ]  # fmt: skip
        nothing = [
            e for e in entries
            if e["resource_id"] == request_id and "nothing to copy" in (e["reason"] or "")
        ]  # fmt: skip
        return (
            review_read + name_reads if review_read and len(name_reads) >= 2 and nothing else None
        )

    entries = eventually(recorded, what="the review's reads in the patient's access log")
    assert {e["resource_id"] for e in entries if e["actor_type"] == "service"} == {
        r["record_id"] for r in patient.records()
    }


def test_the_typed_name_copies_only_the_records_held_under_it(
    cluster: Cluster, setting: Setting
) -> None:
    admin = setting.admin
    daughter = Citizen(cluster, "최미래", "800808-2234567", phone="010-5555-0005")
    # Spaced as a form may be typed: names are compared as linkage compares them.
    submitted = submit(daughter, "relative_of_deceased_or_incapable", "최 영수", **KINSHIP_ONLY)
    request_id = submitted.json()["request_id"]
    detail = admin.get(f"/v1/admin/proxy-requests/{request_id}").json()
    assert {(h["name"], h["matches"]) for h in detail["held_names"]} == {
        (PATIENT_NAME, True),
        (MISFILED_NAME, False),
    }
    assert detail["name_matches"] is True

    approved = admin.decide(
        f"/v1/admin/proxy-requests/{request_id}/approve", "가족관계 확인"
    ).json()
    assert approved["status"] == "approved" and approved["issuance_id"]
    assert "nothing to copy" not in approved["outcome"]
    ready = daughter.wait_ready(approved["issuance_id"])
    assert ready["record_count"] == 1  # 최영수's record; not the one deposited as 최영식


def test_the_review_queue_holds_no_personal_data(cluster: Cluster, setting: Setting) -> None:
    stranger = Citizen(cluster, "장서준", "910202-1234563", phone="010-5555-0006")
    submit(stranger, "relative_of_deceased_or_incapable", "홍길동", **KINSHIP_ONLY)
    for status in ("submitted", "approved", "rejected"):
        queue = setting.admin.get(
            "/v1/admin/proxy-requests", params={"limit": 500, "status": status}
        )
        assert queue.status_code == 200, queue.text
        for personal in ("홍길동", PATIENT_NAME, MISFILED_NAME, "520606", BIRTH, MASKED_RRN):
            assert personal not in queue.text
        for item in queue.json()["items"]:
            assert not {"patient", "held_names", "name_matches"} & set(item)
