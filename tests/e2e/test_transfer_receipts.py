"""A transfer's declaration and its 이관확인서 through the whole stack (#29): a declaration that
matches completes with `matches`; one that disagrees has every difference named; declared lines
not stored refuse the completion unless `allow_missing`; the receipt is made by issuance on
TransferCompleted, downloads from ingest for its depositor only, states the institution, counts
and period, is signed, and verifies by number and code (API and the portal's 진위확인 page)."""

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_issuance.documents.signing import verify_pdf
from tests.support.actors import Citizen, Depositor, Operator
from tests.support.browser import SCREENSHOTS
from tests.support.builders import NAME, NOTE, RRN, a_record, inline, new_code
from tests.support.pdfs import pdf_text, qr_codes, save_first_page, squeezed
from tests.support.stack import sql

pytestmark = pytest.mark.e2e

TEXT = NOTE.encode()
DIGEST = hashlib.sha256(TEXT).hexdigest()
PERIOD = {"from": "2019-01-01", "to": "2019-12-31"}


def manifest(*ids: str, digest: str = DIGEST) -> list[dict[str, str]]:
    return [{"external_id": i, "sha256": digest} for i in ids]


@dataclass
class Clinic:
    client: Depositor
    code: str


@pytest.fixture(scope="module")
def operator(cluster: Cluster) -> Operator:
    return Operator(cluster)


def new_clinic(cluster: Cluster, operator: Operator) -> Clinic:
    code = new_code()
    client_id, secret = operator.register_client([code])
    return Clinic(Depositor(cluster, client_id, secret), code)


def deposit(clinic: Clinic, transfer_id: str, *ids: str) -> None:
    for external_id in ids:
        record = a_record(content=inline(TEXT, "text/plain"), title=f"기록 {external_id}")
        response = clinic.client.put_record(transfer_id, external_id, record)
        assert response.status_code == 201, response.text


@pytest.fixture(scope="module")
def matching(cluster: Cluster, operator: Operator) -> dict[str, Any]:
    """A transfer whose declaration (given at opening) matches what is stored."""
    clinic = new_clinic(cluster, operator)
    declared = {
        "counts": {"medical_record": 2},
        "period": PERIOD,
        "manifest": manifest("m-1", "m-2"),
    }
    transfer_id = clinic.client.open_transfer(clinic.code, "새봄내과의원", declared=declared)
    deposit(clinic, transfer_id, "m-1", "m-2")
    completed = clinic.client.complete(transfer_id, 2)
    assert completed.status_code == 200, completed.text
    return {"clinic": clinic, "transfer_id": transfer_id, "body": completed.json()}


def test_a_declaration_that_matches_completes_with_matches(matching: dict[str, Any]) -> None:
    reconciliation = matching["body"]["reconciliation"]
    assert reconciliation["matches"] is True, reconciliation
    assert reconciliation["differences"] == [] and reconciliation["missing"] == []
    lines = sorted(f"{i}\t{DIGEST}\n" for i in ("m-1", "m-2"))
    expected = hashlib.sha256("".join(lines).encode()).hexdigest()
    assert reconciliation["manifest_sha256"] == expected


def test_a_declaration_that_disagrees_has_every_difference_named(
    cluster: Cluster, operator: Operator
) -> None:
    clinic = new_clinic(cluster, operator)
    transfer_id = clinic.client.open_transfer(clinic.code, "다른말의원")
    deposit(clinic, transfer_id, "d-1", "d-2", "d-extra")
    declared = {
        "counts": {"medical_record": 3, "prescription": 1},
        "period": {"from": "2019-03-05", "to": "2019-12-31"},
        "manifest": manifest("d-1", "d-extra", "d-gone") + manifest("d-2", digest="0" * 64),
    }
    refused = clinic.client.complete(transfer_id, 3, declared=declared)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"].endswith("/declared-lines-missing")
    assert problem["missing_total"] == 1 and problem["missing"] == ["d-gone"]
    assert "allow_missing" in problem["detail"]
    assert clinic.client.transfer(transfer_id)["status"] == "open"

    done = clinic.client.complete(transfer_id, 3, declared=declared, allow_missing=True)
    assert done.status_code == 200, done.text
    reconciliation = done.json()["reconciliation"]
    assert reconciliation["matches"] is False
    assert reconciliation["missing"] == ["d-gone"]
    assert reconciliation["digest_mismatch"] == ["d-2"]
    assert reconciliation["unexpected"] == []
    differences = {d["field"]: (d["declared"], d["stored"]) for d in reconciliation["differences"]}
    assert differences == {
        "counts.prescription": (1, 0),
        "period.from": ("2019-03-05", "2019-03-02"),
    }

    receipt = clinic.client.wait_receipt(transfer_id)
    text = squeezed(pdf_text(receipt))
    assert squeezed("미이관 기록 1건") in text and "d-gone" in text


def test_bad_declarations_are_refused_naming_the_field(
    cluster: Cluster, operator: Operator
) -> None:
    clinic = new_clinic(cluster, operator)
    transfer_id = clinic.client.open_transfer(clinic.code, "잘못의원")
    for declared, field in (
        ({"counts": {"nonsense": 1}}, "declared.counts"),
        ({"counts": {}, "period": {"from": "2020-01-01", "to": "2019-01-01"}}, "declared.period"),
        ({"counts": {}, "manifest": [{"external_id": "x", "sha256": "zz"}]}, "declared.manifest"),
        ({"counts": {}, "manifest": manifest("x", "x")}, "declared"),
    ):
        response = clinic.client.complete(transfer_id, 0, declared=declared)
        assert response.status_code == 422, response.text
        fields = [e["field"] for e in response.json()["errors"]]
        assert any(f.startswith(field) for f in fields), (fields, field)
    assert clinic.client.transfer(transfer_id)["status"] == "open"


def test_the_receipt_downloads_is_signed_and_verifies(
    cluster: Cluster, operator: Operator, matching: dict[str, Any]
) -> None:
    clinic, transfer_id = matching["clinic"], matching["transfer_id"]
    pdf = clinic.client.wait_receipt(transfer_id)
    assert pdf.startswith(b"%PDF")
    text = squeezed(pdf_text(pdf))
    stated = ("이관확인서", "새봄내과의원", clinic.code, "진료기록부", "2019-01-01~2019-12-31")
    for expected in stated:
        assert squeezed(expected) in text, expected
    assert matching["body"]["reconciliation"]["manifest_sha256"] in text
    assert NOTE not in pdf_text(pdf)
    save_first_page(pdf, SCREENSHOTS / "document-transfer_receipt.png")

    (cert,) = sql(cluster, "issuance", "SELECT cert_pem FROM issuer_keys WHERE active")
    check = verify_pdf(pdf, cert["cert_pem"].encode())
    assert check.intact and check.valid

    (url,) = qr_codes(pdf)
    query = parse_qs(urlsplit(url).query)
    number, code = query["number"][0], query["code"][0]
    public = httpx.Client(base_url=cluster.url("issuance"), timeout=30)
    body = public.get("/v1/verify", params={"number": number, "code": code}).json()
    assert body["valid"] is True
    assert (body["document_type"], body["document_label"]) == ("transfer_receipt", "이관확인서")
    assert body["institutions"] == ["새봄내과의원"] and body["record_count"] == 2
    assert body["sha256"] == hashlib.sha256(pdf).hexdigest()

    portal = httpx.Client(base_url=cluster.url("portal"), timeout=30)
    page = portal.get("/verify", params={"number": number, "code": code})
    assert page.status_code == 200
    assert "유효한 이관확인서입니다" in page.text and "새봄내과의원" in page.text

    other = new_clinic(cluster, operator)
    assert other.client.receipt(transfer_id).status_code == 404


def test_an_open_transfer_has_no_receipt_yet(cluster: Cluster, operator: Operator) -> None:
    clinic = new_clinic(cluster, operator)
    transfer_id = clinic.client.open_transfer(clinic.code, "열린의원")
    response = clinic.client.receipt(transfer_id)
    assert response.status_code == 409
    assert response.json()["type"].endswith("/receipt-not-ready")


def test_a_citizen_cannot_ask_for_a_transfer_receipt(cluster: Cluster) -> None:
    citizen = Citizen(cluster, NAME, RRN)
    response = citizen.issuance.post(
        "/v1/issuances", json={"document_type": "transfer_receipt", "institution_code": "12345678"}
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["document_type"]
