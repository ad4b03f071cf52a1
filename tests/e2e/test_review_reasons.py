"""A reviewer's review reason reaches the patient's access history whole (issue #25): a reason
of the longest length the API takes (500 characters) on a proxy request's rejection arrives in
full, with what was decided before it; one character more is refused with a problem and
changes nothing. Before, a reason over about 190 characters overflowed catalog's column and the
access was parked as a dead letter, missing from the patient's history for good."""

import json

import pytest

from medrec_devstack.cluster import Cluster
from medrec_shared.rules.events import REVIEW_REASON_MAX
from tests.support.actors import Citizen, eventually
from tests.support.staff import staff_on

pytestmark = pytest.mark.e2e

PATIENT_RRN, PATIENT_NAME = "480303-1234565", "남궁민철"
CONSENT = b"%PDF-1.4 consent form REVIEW-REASON-7a1c"
KINSHIP = b"\x89PNG\r\n\x1a\n family relation certificate REVIEW-REASON-2b9d"


def submit(citizen: Citizen) -> str:
    request = {"patient": {"name": PATIENT_NAME, "rrn": PATIENT_RRN}, "relation": "spouse"}
    response = citizen.issuance.post(
        "/v1/proxy-requests",
        data={"request": json.dumps(request, ensure_ascii=False)},
        files={
            "consent_form": ("consent.pdf", CONSENT, "application/pdf"),
            "kinship_certificate": ("kinship.png", KINSHIP, "image/png"),
        },
    )
    assert response.status_code == 202, response.text
    request_id: str = response.json()["request_id"]
    return request_id


def test_a_long_review_reason_arrives_whole_in_the_patients_access_log(
    cluster: Cluster,
) -> None:
    patient = Citizen(cluster, PATIENT_NAME, PATIENT_RRN, phone="010-4803-0001")
    spouse = Citizen(cluster, "남궁순희", "490404-2234563", phone="010-4803-0002")
    admin = staff_on(cluster, "issuance", "reviewer", prefix="reviewer")
    request_id = submit(spouse)
    reject = f"/v1/admin/proxy-requests/{request_id}/reject"

    too_long = admin.post(reject, json={"reason": "가" * (REVIEW_REASON_MAX + 1)})
    assert too_long.status_code == 422, too_long.text
    assert too_long.headers["content-type"].startswith("application/problem+json")
    own = spouse.issuance.get(f"/v1/proxy-requests/{request_id}").json()
    assert own["status"] == "submitted"

    reason = ("동의서의 서명이 가족관계증명서의 배우자와 다릅니다. " * 20)[:REVIEW_REASON_MAX]
    assert len(reason) == REVIEW_REASON_MAX
    rejected = admin.post(reject, json={"reason": reason})
    assert rejected.status_code == 200, rejected.text

    def rejection_logged() -> list[str] | None:
        items = patient.catalog.get("/v1/me/access-log", params={"limit": 500}).json()["items"]
        found = [e["reason"] for e in items
                 if e["resource_id"] == request_id and e["decision"] == "denied"]  # fmt: skip
        return found or None

    assert eventually(rejection_logged, what="the rejection in the patient's log") == [
        f"rejected: {reason}"
    ]
