"""A citizen's certified copy of records from two institutions, checked both ways by anyone, and
never reachable by another person."""

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fpdf import FPDF
from pypdf import PdfReader

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Institution, Operator, bearer, eventually
from tests.support.builders import inline, record_body
from tests.support.clock import clock_at

pytestmark = pytest.mark.e2e

RRN, NAME, BIRTH = "830303-2456789", "한지민", "1983-03-03"
OTHER_RRN, OTHER_NAME = "830303-1456780", "한지훈"
STRUCTURED = "application/vnd.medrec.record+json"


def two_page_pdf() -> bytes:
    pdf = FPDF()
    for n in (1, 2):
        pdf.add_page()
        pdf.set_font("helvetica", size=14)
        pdf.cell(text=f"Scanned chart page {n}")
    return bytes(pdf.output())


def dental_chart() -> bytes:
    return json.dumps(
        {
            "schema_version": "1",
            "specialty": "dental",
            "encounters": [{"date": "2020-04-01", "chief_complaint": "치통"}],
            "diagnoses": [{"code": "K02.1", "name": "상아질 우식", "primary": True}],
            "tooth_chart": [{"tooth": 36, "findings": ["우식"], "procedures": ["레진 충전"]}],
        },
        ensure_ascii=False,
    ).encode()


def medical_chart() -> bytes:
    return json.dumps(
        {
            "schema_version": "1",
            "specialty": "medical",
            "encounters": [{"date": "2018-09-10", "chief_complaint": "두통"}],
            "diagnoses": [{"code": "G44.2", "name": "긴장형 두통", "primary": True}],
        },
        ensure_ascii=False,
    ).encode()


@dataclass(frozen=True)
class World:
    """One owner's ready copy of three records from two institutions, and another person."""

    owner: Citizen
    other: Citizen
    ids: dict[str, str]  # record ids by external id
    mine: list[str]  # the owner's record ids, in the copy
    ready: dict[str, Any]  # the ready issuance as the API answers it
    pdf: bytes


@pytest.fixture(scope="module")
def world(cluster: Cluster) -> World:
    client_id, secret = Operator(cluster).register_client(["61000001", "61000002"])
    vendor = Institution(cluster, client_id, secret)
    medical = vendor.open_transfer("61000001", "푸른숲내과의원")
    dental = vendor.open_transfer("61000002", "하얀이치과의원")
    deposits = [
        (medical, "m-1", RRN, NAME, inline(medical_chart(), STRUCTURED), {}),
        (
            dental,
            "d-1",
            RRN,
            NAME,
            inline(dental_chart(), STRUCTURED),
            {"specialty": "dental", "service_start": "2024-04-01", "service_end": "2024-04-01"},
        ),
        (
            dental,
            "d-2",
            RRN,
            NAME,
            inline(two_page_pdf(), "application/pdf"),
            {
                "specialty": "dental",
                "kind": "radiology",
                "title": "파노라마 판독지",
                "service_start": "2024-04-01",
                "service_end": "2024-04-01",
            },
        ),
        (
            dental,
            "o-1",
            OTHER_RRN,
            OTHER_NAME,
            inline(dental_chart(), STRUCTURED),
            {"specialty": "dental"},
        ),
    ]
    ids: dict[str, str] = {}
    for transfer, external_id, rrn, name, content, fields in deposits:
        response = vendor.put_record(
            transfer, external_id, record_body(rrn, name, BIRTH, content, **fields)
        )
        assert response.status_code == 201, response.text
        ids[external_id] = response.json()["record_id"]
    owner = Citizen(cluster, NAME, RRN)
    other = Citizen(cluster, OTHER_NAME, OTHER_RRN, phone="010-9876-5432")
    eventually(lambda: len(owner.records()) == 3, what="the owner's three records")
    eventually(lambda: len(other.records()) == 1, what="the other person's record")
    mine = [ids["m-1"], ids["d-1"], ids["d-2"]]
    issuance = owner.request_copy(mine)
    ready = owner.wait_ready(issuance["issuance_id"])
    document = owner.issuance.get(f"/v1/issuances/{issuance['issuance_id']}/document")
    assert document.status_code == 200, document.text
    return World(owner=owner, other=other, ids=ids, mine=mine, ready=ready, pdf=document.content)


def test_records_from_two_institutions_of_different_specialties(world: World) -> None:
    records = world.owner.records()
    assert {(r["institution"]["name"], r["specialty"]) for r in records} == {
        ("푸른숲내과의원", "medical"),
        ("하얀이치과의원", "dental"),
    }


def test_the_copy_is_a_korean_pdf_with_every_page(world: World) -> None:
    ready, pdf = world.ready, world.pdf
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in (
        "푸른숲내과의원",
        "하얀이치과의원",
        ready["issuance_number"],
        ready["verification_code"],
        "진료기록부",
        "한*민",
        "Scanned chart page 2",
    ):
        assert expected in text, expected
    assert NAME not in text, "the name is masked on the cover"
    assert len(reader.pages) == ready["pages"]
    assert hashlib.sha256(pdf).hexdigest() == ready["sha256"]
    assert ready["record_count"] == 3


def test_anyone_can_verify_by_number_and_code_and_learns_nothing_personal(
    cluster: Cluster, world: World
) -> None:
    ready = world.ready
    public = httpx.Client(base_url=cluster.url("issuance"))
    body = public.get(
        "/v1/verify",
        params={"number": ready["issuance_number"], "code": ready["verification_code"]},
    ).json()
    assert body["valid"] is True
    assert sorted(body["institutions"]) == ["푸른숲내과의원", "하얀이치과의원"]
    assert (body["record_count"], body["pages"], body["sha256"]) == (
        3,
        ready["pages"],
        ready["sha256"],
    )
    assert set(body) == {
        "valid",
        "issuance_number",
        "issued_at",
        "institutions",
        "record_count",
        "pages",
        "sha256",
        "document_type",
        "document_label",
    }
    assert (body["document_type"], body["document_label"]) == ("record_copy", "진료기록 사본")
    assert NAME not in json.dumps(body, ensure_ascii=False)


def test_anyone_can_verify_by_uploading_and_a_changed_byte_fails(
    cluster: Cluster, world: World
) -> None:
    public = httpx.Client(base_url=cluster.url("issuance"), timeout=30)
    pdf: bytes = world.pdf
    upload = public.post("/v1/verify", files={"file": ("copy.pdf", pdf, "application/pdf")}).json()
    assert upload == {
        "valid": True,
        "issuance_number": world.ready["issuance_number"],
        "document_type": "record_copy",
        "document_label": "진료기록 사본",
    }
    middle = len(pdf) // 2
    tampered = pdf[:middle] + bytes([pdf[middle] ^ 0x01]) + pdf[middle + 1 :]
    refused = public.post("/v1/verify", files={"file": ("copy.pdf", tampered, "application/pdf")})
    assert refused.json() == {"valid": False}


def test_the_access_log_shows_the_request_and_the_download(world: World) -> None:
    owner: Citizen = world.owner

    def acts() -> dict[str, dict[str, Any]] | None:
        items = owner.catalog.get("/v1/me/access-log", params={"limit": 500}).json()["items"]
        found = {e["action"]: e for e in items if e["resource_id"] == world.ready["issuance_id"]}
        return found if {"issuance_request", "download"} <= set(found) else None

    found = eventually(acts, what="the copy request and download in the access log")
    for action in ("issuance_request", "download"):
        assert found[action]["actor_type"] == "citizen"
        assert found[action]["actor_id"] == owner.person_id
        assert datetime.fromisoformat(found[action]["occurred_at"]) > datetime.now(UTC) - timedelta(
            hours=1
        )


def test_another_persons_record_is_not_found_anywhere(cluster: Cluster, world: World) -> None:
    owner, other = world.owner, world.other
    others_record = world.ids["o-1"]
    before = owner.issuance.get("/v1/issuances").json()["items"]
    response = owner.issuance.post(
        "/v1/issuances", json={"record_ids": [world.mine[0], others_record]}
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert OTHER_NAME not in response.text
    assert owner.issuance.get("/v1/issuances").json()["items"] == before, "nothing was created"
    issuance_id = world.ready["issuance_id"]
    assert other.issuance.get(f"/v1/issuances/{issuance_id}").status_code == 404
    assert other.issuance.get(f"/v1/issuances/{issuance_id}/document").status_code == 404
    assert issuance_id not in other.issuance.get("/v1/issuances").text
    assert others_record not in json.dumps(owner.records())


def test_an_expired_copy_is_gone(cluster: Cluster, world: World) -> None:
    owner = world.owner
    issuance_id = world.ready["issuance_id"]
    expires = datetime.fromisoformat(world.ready["expires_at"])
    with clock_at(cluster, expires + timedelta(seconds=1)):
        response = owner.issuance.get(f"/v1/issuances/{issuance_id}/document")
        assert response.status_code == 410
        assert response.json()["status"] == 410
    assert owner.issuance.get(f"/v1/issuances/{issuance_id}/document").status_code == 200


# --- service reads are provisioned, and recorded (issue #25, 6) ------------------------------
@pytest.mark.parametrize(
    "scope",
    [
        "content:read",
        "catalog:read",
        "metadata:read",
        "demographics:read",
        "names:read",
        "document-facts:read",
        "contact:read",
        "person-keys:read",
    ],
)
def test_an_operator_cannot_register_a_client_with_a_service_scope(
    cluster: Cluster, scope: str
) -> None:
    operator = Operator(cluster)
    before = operator.identity.get("/v1/clients", headers=bearer(operator.token)).json()["items"]
    response = operator.identity.post(
        "/v1/clients",
        json={"name": "내부 열람기", "institution_codes": [], "scopes": ["admin", scope]},
        headers=bearer(operator.token),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["scopes"] and scope in errors[0]["message"]
    after = operator.identity.get("/v1/clients", headers=bearer(operator.token)).json()["items"]
    assert len(after) == len(before)


def test_every_record_the_copy_read_shows_in_the_owners_history_with_its_purpose(
    cluster: Cluster, world: World
) -> None:
    issuance_client = cluster.secrets.service_clients["issuance"][0]

    def content_reads() -> dict[str, dict[str, Any]] | None:
        response = world.owner.catalog.get("/v1/me/access-log", params={"limit": 500})
        reads = {
            e["resource_id"]: e
            for e in response.json()["items"]
            if (e["actor_type"], e["resource_type"]) == ("service", "record_content")
        }
        return reads if set(world.mine) <= set(reads) else None

    reads = eventually(content_reads, what="the copy's content reads in the owner's history")
    assert set(reads) == set(world.mine)  # the other person's record is not in this history
    for entry in reads.values():
        assert (entry["actor_id"], entry["action"], entry["decision"]) == (
            issuance_client,
            "view",
            "allowed",
        )
        assert entry["reason"] == "purpose: certified copy (issuance)"
