"""The documents citizens come for, through the whole stack: version 2 records (a stay, two bills
with their payments, a prescription) deposited by the transfer kit; each document type asked for
by a citizen, and by a parent for their child; each PDF's text as a reader extracts it holding
the form's title and the record's dates, amounts and codes, its signature valid, its QR code
leading to the portal's 진위확인 page, which names the document. A document with nothing to show,
and a body that makes no sense, are refused before anything is stored; a preview says what the
document will hold. (A bill that does not add up, refused at deposit with its field named:
tests/e2e/test_transfer_kit.py.)"""

import copy
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_issuance.documents import verify_pdf
from tests.support.actors import (
    ActingGuardian,
    Citizen,
    Operator,
    children_of,
    eventually,
    seed_family_link,
)
from tests.support.bills import ADMISSION, DISCHARGE, OUTPATIENT
from tests.support.builders import inline, new_code, record_body
from tests.support.pdfs import pdf_text, qr_codes, squeezed
from tests.support.stack import sql

pytestmark = pytest.mark.e2e

KIT = str(Path(sys.executable).parent / "medrec-transfer")
STRUCTURED = "application/vnd.medrec.record+json"
CLINIC = "새봄내과의원"
PARENT_RRN, PARENT_NAME, PARENT_BIRTH = "880808-2345671", "송하린", "1988-08-08"
CHILD_RRN, CHILD_NAME, CHILD_BIRTH = "150505-4123452", "송다온", "2015-05-05"
YEAR_2024 = {"from": "2024-01-01", "to": "2024-12-31"}
JUNE_2024 = {"from": "2024-06-01", "to": "2024-06-30"}
LABELS = {
    "record_copy": "진료기록 사본",
    "treatment_confirmation": "진료확인서",
    "admission_confirmation": "입퇴원확인서",
    "receipt": "진료비 계산서·영수증",
    "itemised_bill": "진료비 세부산정내역",
    "payment_confirmation": "진료비 납입확인서",
    "prescription": "처방전 사본",
}


AMOXICILLIN = {"drug_name": "아목시실린캡슐", "drug_code": "645301220", "dose": "500",
               "unit": "mg", "frequency_per_day": 3, "days": 5, "date": "2024-03-02"}  # fmt: skip


def chart() -> dict[str, Any]:
    """A version 2 record: two visits, a stay, the two bills of tests/support/bills.py (an
    outpatient visit on 2024-03-02, a discharge on 2024-06-14) and a dated prescription."""
    return {
        "schema_version": "2",
        "specialty": "medical",
        "encounters": [
            {"date": "2024-03-02", "chief_complaint": "발열, 기침"},
            {"date": "2024-06-10", "chief_complaint": "호흡곤란"},
        ],
        "diagnoses": [{"code": "J18.9", "name": "상세불명의 폐렴", "primary": True}],
        "prescriptions": [AMOXICILLIN],
        "admissions": [ADMISSION],
        "bills": [copy.deepcopy(OUTPATIENT), copy.deepcopy(DISCHARGE)],
    }


def export_line(external_id: str, rrn: str, name: str, birth: str) -> dict[str, Any]:
    content = inline(json.dumps(chart(), ensure_ascii=False).encode(), STRUCTURED)
    return {"external_id": external_id} | record_body(
        rrn, name, birth, content, service_start="2024-03-02", service_end="2024-06-14"
    )


def push_export(cluster: Cluster, root: Path, code: str) -> None:
    """The clinic's export pushed by `medrec-transfer push` as its vendor runs it."""
    client_id, secret = Operator(cluster).register_client([code])
    root.mkdir(parents=True)
    institution = {"code": code, "name": CLINIC, "type": "의원",
                   "address": "서울특별시 중구 세종대로 110", "region": "서울"}  # fmt: skip
    transfer = {"institution": institution, "reason": "closure", "effective_date": "2026-01-31"}
    (root / "transfer.json").write_text(json.dumps(transfer, ensure_ascii=False))
    lines = [
        export_line("v2-parent", PARENT_RRN, PARENT_NAME, PARENT_BIRTH),
        export_line("v2-child", CHILD_RRN, CHILD_NAME, CHILD_BIRTH),
    ]
    (root / "records.ndjson").write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    )
    secret_file = root.parent / "secret"
    secret_file.write_text(secret + "\n")
    secret_file.chmod(0o600)
    done = subprocess.run(
        [KIT, "push", str(root), "--identity-url", cluster.url("identity"),
         "--ingest-url", cluster.url("ingest"), "--client-id", client_id,
         "--client-secret-file", str(secret_file), "--complete"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


# What each document is asked with, and what its text must (and must not) hold.
@dataclass(frozen=True)
class Ask:
    document_type: str
    body: dict[str, Any]
    holds: tuple[str, ...]
    lacks: tuple[str, ...] = ()
    spaced: tuple[str, ...] = ()  # names a narrow cell may wrap: compared without white space


def asks(code: str, record_id: str) -> list[Ask]:
    at = {"institution_code": code}
    return [
        Ask("record_copy", {"record_ids": [record_id]}, ("진료기록 사본",)),
        Ask(
            "treatment_confirmation",
            at | {"period": YEAR_2024, "include_diagnoses": True},
            ("2024-03-02", "2024-06-10", "J18.9"),
            spaced=("상세불명의폐렴",),
        ),
        Ask(
            "admission_confirmation",
            {"record_ids": [record_id]},
            ("2024-06-10", "2024-06-14"),
            lacks=("J18.9",),  # diagnoses only when asked for
        ),
        Ask(
            "receipt",
            at | {"period": YEAR_2024},
            ("2024-03-02", "42,340", "28,653", "470,000", "300,000"),
            lacks=("J18.9",),
        ),
        Ask(
            "itemised_bill",
            at | {"period": JUNE_2024},
            ("AB220", "HI101", "50,000", "250,000", "2024-06-11"),
            lacks=("AA154",),  # the March bill is not in June
        ),
        Ask("payment_confirmation", at | {"period": YEAR_2024}, ("328,653",)),
        Ask(
            "prescription", at | {"period": YEAR_2024}, ("2024-03-02",), spaced=("아목시실린캡슐",)
        ),
    ]


@dataclass
class Issued:
    ask: Ask
    issuance: dict[str, Any]
    pdf: bytes = b""
    text: str = ""


@dataclass
class World:
    code: str
    parent: Citizen
    child: ActingGuardian
    parent_record: str
    child_record: str
    issued: dict[tuple[str, str], Issued] = field(default_factory=dict)  # (who, type)


def request(who: Citizen, ask: Ask) -> dict[str, Any]:
    body = {"document_type": ask.document_type} | ask.body
    response = who.issuance.post("/v1/issuances", json=body)
    assert response.status_code == 202, (ask.document_type, response.text)
    answer: dict[str, Any] = response.json()
    return answer


def ready(who: Citizen, issuance_id: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        body: dict[str, Any] = who.issuance.get(f"/v1/issuances/{issuance_id}").json()
        assert body["status"] != "failed", body
        return body if body["status"] == "ready" else None

    return eventually(probe, timeout=600, what=f"issuance {issuance_id} to be ready")


@pytest.fixture(scope="module")
def world(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> World:
    code = new_code()
    push_export(cluster, tmp_path_factory.mktemp("export") / "clinic", code)
    seed_family_link(cluster, PARENT_RRN, CHILD_RRN, CHILD_NAME, CHILD_BIRTH)
    parent = Citizen(cluster, PARENT_NAME, PARENT_RRN, phone="010-2800-0001")
    [mine] = eventually(parent.records, what="the parent's version 2 record")
    child_id = {c["name"]: c for c in children_of(parent)}[CHILD_NAME]["person_id"]
    child = ActingGuardian(parent, child_id)
    [theirs] = eventually(child.records, what="the child's version 2 record")
    world = World(
        code=code,
        parent=parent,
        child=child,
        parent_record=mine["record_id"],
        child_record=theirs["record_id"],
    )
    # Every document asked for at once, so the worker makes them one after another.
    for who, person, record_id in (
        ("parent", parent, world.parent_record),
        ("child", child, world.child_record),
    ):
        for ask in asks(code, record_id):
            world.issued[(who, ask.document_type)] = Issued(ask, request(person, ask))
    for (who, _), issued in world.issued.items():
        person = parent if who == "parent" else child
        issued.issuance = ready(person, issued.issuance["issuance_id"])
        document = person.issuance.get(f"/v1/issuances/{issued.issuance['issuance_id']}/document")
        assert document.status_code == 200, document.text
        issued.pdf = document.content
        issued.text = pdf_text(issued.pdf)
    return world


DOCUMENTS = [(who, kind) for who in ("parent", "child") for kind in LABELS]


@pytest.mark.parametrize(("who", "kind"), DOCUMENTS)
def test_each_document_holds_its_title_and_the_records_values(
    world: World, who: str, kind: str
) -> None:
    issued = world.issued[(who, kind)]
    answer, text = issued.issuance, issued.text
    assert (answer["document_type"], answer["document_label"]) == (kind, LABELS[kind])
    assert squeezed(LABELS[kind]) in squeezed(text), f"{kind}: the form's title"
    for value in issued.ask.holds:
        assert value in text, f"{kind}: {value}"
    for value in issued.ask.spaced:
        assert value in squeezed(text), f"{kind}: {value}"
    for value in issued.ask.lacks:
        assert value not in text, f"{kind}: {value} should not be there"
    assert answer["issuance_number"] in squeezed(text) and CLINIC in squeezed(text)
    name, masked = (PARENT_NAME, "송*린") if who == "parent" else (CHILD_NAME, "송*온")
    assert masked in text and name not in text, "the person by their masked name only"


@pytest.mark.parametrize(("who", "kind"), DOCUMENTS)
def test_each_document_is_signed_and_its_qr_code_opens_the_portals_check_naming_it(
    cluster: Cluster, world: World, who: str, kind: str
) -> None:
    issued = world.issued[(who, kind)]
    number, code = issued.issuance["issuance_number"], issued.issuance["verification_code"]
    [cert_pem] = [r[0] for r in sql(cluster, "issuance", "SELECT cert_pem FROM issuer_keys")]
    check = verify_pdf(issued.pdf, cert_pem.encode())
    assert check.valid and check.intact, kind
    public = httpx.Client(timeout=60)
    uploaded = public.post(
        f"{cluster.url('issuance')}/v1/verify",
        files={"file": ("document.pdf", issued.pdf, "application/pdf")},
    ).json()
    assert uploaded == {
        "valid": True,
        "issuance_number": number,
        "document_type": kind,
        "document_label": LABELS[kind],
    }
    [url] = qr_codes(issued.pdf)
    assert url.startswith(f"{cluster.url('portal')}/verify?") and number in url and code in url
    page = public.get(url)
    assert page.status_code == 200
    assert "유효한 사본입니다" in page.text and number in page.text
    assert "서류 종류" in page.text and f"<td>{LABELS[kind]}</td>" in page.text
    for person in (PARENT_NAME, CHILD_NAME):
        assert person not in page.text


def issuance_count(cluster: Cluster) -> int:
    return int(sql(cluster, "issuance", "SELECT count(*) FROM issuances")[0][0])


def test_a_document_with_nothing_to_show_is_refused_with_its_reason(
    cluster: Cluster, world: World
) -> None:
    before = issuance_count(cluster)
    no_bill = {"document_type": "receipt", "institution_code": world.code,
               "period": {"from": "2020-01-01", "to": "2020-12-31"}}  # fmt: skip
    for who in (world.parent, world.child):
        for path in ("/v1/issuances", "/v1/issuances:preview"):
            response = who.issuance.post(path, json=no_bill)
            assert response.status_code == 422, response.text
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["type"].endswith("/nothing-to-show")
            assert problem["detail"] == "선택한 기간에 발급할 진료비 영수증이 없습니다."
    assert issuance_count(cluster) == before, "nothing stored"


def test_a_preview_says_what_the_document_will_hold_and_is_in_the_access_history(
    world: World,
) -> None:
    def previews() -> int:
        items = world.parent.catalog.get("/v1/me/access-log", params={"limit": 500}).json()
        return sum(e["resource_type"] == "document_preview" for e in items["items"])

    before = previews()
    receipt = world.parent.issuance.post(
        "/v1/issuances:preview",
        json={"document_type": "receipt", "institution_code": world.code, "period": YEAR_2024},
    )
    assert receipt.status_code == 200, receipt.text
    body = receipt.json()
    assert (body["document_label"], body["institutions"], body["records"]) == (
        "진료비 계산서·영수증",
        [CLINIC],
        1,
    )
    assert body["period"] == YEAR_2024
    assert [(b["number"], b["total"], b["patient_total"]) for b in body["bills"]] == [
        ("O-2024-0302-017", 42_340, 28_653),
        ("I-2024-0614-003", 470_000, 300_000),
    ]
    assert body["bills"][1]["period"] == {"from": "2024-06-10", "to": "2024-06-14"}
    assert (body["visits"], body["stays"], body["payments"], body["prescriptions"]) == (
        [],
        [],
        [],
        0,
    )
    confirmation = world.child.issuance.post(
        "/v1/issuances:preview",
        json={"document_type": "treatment_confirmation", "record_ids": [world.child_record],
              "include_diagnoses": True},
    ).json()  # fmt: skip
    assert confirmation["visits"] == ["2024-03-02", "2024-06-10"]
    assert confirmation["diagnoses_included"] is True and confirmation["period"] is None
    payments = world.parent.issuance.post(
        "/v1/issuances:preview",
        json={"document_type": "payment_confirmation", "institution_code": world.code,
              "period": YEAR_2024},
    ).json()  # fmt: skip
    assert payments["payments_total"] == 328_653
    assert [p["amount"] for p in payments["payments"]] == [10_000, 18_653, 300_000]
    eventually(lambda: previews() == before + 2, what="one access event per preview")


@pytest.mark.parametrize(
    ("body", "field_name"),
    [
        ({"document_type": "receipt", "include_diagnoses": True}, "include_diagnoses"),
        ({"document_type": "receipt", "period": {"from": "2024-12-31", "to": "2024-01-01"}},
         "period"),
        ({"document_type": "death_certificate"}, "document_type"),
        ({"document_type": "receipt", "institution_code": None}, "record_ids"),
        ({"document_type": "record_copy", "period": YEAR_2024}, "period"),
    ],
)  # fmt: skip
def test_a_body_that_makes_no_sense_is_refused_and_nothing_stored(
    cluster: Cluster, world: World, body: dict[str, Any], field_name: str
) -> None:
    before = issuance_count(cluster)
    sent = {"institution_code": world.code, "record_ids": None} | body
    if sent["document_type"] == "record_copy":
        sent |= {"record_ids": [world.parent_record], "institution_code": None}
    sent = {k: v for k, v in sent.items() if v is not None}
    for path in ("/v1/issuances", "/v1/issuances:preview"):
        response = world.parent.issuance.post(path, json=sent)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert field_name in [e["field"] for e in response.json()["errors"]], response.text
    assert issuance_count(cluster) == before
