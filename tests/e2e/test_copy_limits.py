"""A copy holds what it can hold: a record beyond the copy's limits fails that copy with a reason
the citizen reads, and the worker goes on to the next request; a large DICOM is listed by its
stored size and SHA-256 without the worker ever holding it."""

import base64
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Depositor, Operator, eventually
from tests.support.builders import declared, inline, record_body, structured_medical
from tests.support.stack import rss_samples

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024
CODE = "64000001"
RRN, NAME, BIRTH = "760505-1234567", "윤재석", "1976-05-05"
STRUCTURED = "application/vnd.medrec.record+json"
DICOM_SIZE = 48 * MiB


@dataclass(frozen=True)
class Records:
    citizen: Citizen
    ids: dict[str, str]  # record ids by external id
    dicom_sha256: str


def pixel_bomb() -> bytes:
    """A PNG of 25 million pixels in a few KiB: over the 20 million a copy embeds."""
    out = io.BytesIO()
    Image.new("1", (5000, 5000)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def dicom_pieces() -> Iterator[bytes]:
    """A DICOM Part 10 file (128-byte preamble, then DICM) of DICOM_SIZE bytes, in 1 MiB pieces."""
    noise = hashlib.sha256(b"copy-limits").digest() * (MiB // 32)
    yield b"\0" * 128 + b"DICM" + noise[: MiB - 132]
    for _ in range(DICOM_SIZE // MiB - 1):
        yield noise


@pytest.fixture(scope="module")
def records(cluster: Cluster) -> Records:
    vendor = Depositor(cluster, *Operator(cluster).register_client([CODE]))
    transfer = vendor.open_transfer(CODE, "큰영상내과의원")
    ids: dict[str, str] = {}

    def put(external_id: str, body: dict[str, Any]) -> None:
        response = vendor.put_record(transfer, external_id, body)
        assert response.status_code == 201, response.text
        ids[external_id] = response.json()["record_id"]

    put("chart", record_body(RRN, NAME, BIRTH, inline(structured_medical("어지럼"), STRUCTURED)))
    put(
        "bomb",
        record_body(
            RRN, NAME, BIRTH, inline(pixel_bomb(), "image/png"), kind="radiology", title="사진"
        ),
    )
    # Over the 32 MiB one copy renders of a record: refused from its stored size.
    big_text = b"\xea\xb8\xb0\xeb\xa1\x9d " * (33 * MiB // 7)
    put("long-text", record_body(RRN, NAME, BIRTH, declared(big_text, "text/plain")))
    sent = vendor.put_content(transfer, "long-text", big_text, "text/plain")
    assert sent.status_code == 201, sent.text
    digest = hashlib.sha256()
    for piece in dicom_pieces():
        digest.update(piece)
    dicom = {"content_type": "application/dicom", "size": DICOM_SIZE, "sha256": digest.hexdigest()}
    put("ct", record_body(RRN, NAME, BIRTH, dicom, kind="radiology", title="CT 원본"))
    whole = f"sha-256=:{base64.b64encode(digest.digest()).decode()}:"
    sent = vendor.put_content(transfer, "ct", dicom_pieces(), "application/dicom", digest=whole)
    assert sent.status_code == 201, sent.text
    citizen = Citizen(cluster, NAME, RRN, phone="010-6400-0001")
    eventually(lambda: len(citizen.records()) == 4, what="the four records in catalog")
    return Records(citizen, ids, digest.hexdigest())


def wait_end(citizen: Citizen, issuance_id: str) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        body: dict[str, Any] = citizen.issuance.get(f"/v1/issuances/{issuance_id}").json()
        return body if body["status"] in ("ready", "failed") else None

    return eventually(ended, what="the copy to be ready or failed")


@pytest.mark.parametrize(("record", "words"), [("bomb", "20,000,000화소"), ("long-text", "32MB")])
def test_a_record_over_the_limits_fails_its_copy_with_a_reason_and_the_next_copy_is_made(
    records: Records, record: str, words: str
) -> None:
    citizen = records.citizen
    over = citizen.request_copy([records.ids["chart"], records.ids[record]])
    failed = wait_end(citizen, over["issuance_id"])
    assert failed["status"] == "failed"
    assert "2번째 기록" in failed["failure_reason"] and words in failed["failure_reason"]
    assert NAME not in failed["failure_reason"]
    document = citizen.issuance.get(f"/v1/issuances/{over['issuance_id']}/document")
    assert 400 <= document.status_code < 500
    nxt = citizen.request_copy([records.ids["chart"]])
    assert citizen.wait_ready(nxt["issuance_id"])["pages"] >= 2


def test_a_large_dicom_is_listed_by_size_and_sha256_and_never_held_by_the_worker(
    cluster: Cluster, records: Records
) -> None:
    citizen = records.citizen
    worker = cluster.processes["issuance-worker"].pid
    with rss_samples(worker, every=0.05) as rss:
        copy = citizen.request_copy([records.ids["ct"]])
        ready = citizen.wait_ready(copy["issuance_id"])
    assert max(rss) - rss[0] < 16 * MiB, f"the worker grew by {(max(rss) - rss[0]) // MiB} MiB"
    pdf = citizen.issuance.get(f"/v1/issuances/{copy['issuance_id']}/document")
    assert pdf.status_code == 200
    assert len(pdf.content) < MiB
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    flat = text.replace("\n", "")
    assert f"{DICOM_SIZE:,} 바이트" in text
    assert records.dicom_sha256 in flat
    assert ready["pages"] == len(PdfReader(io.BytesIO(pdf.content)).pages)
