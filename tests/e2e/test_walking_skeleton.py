"""One record from clinic to certified copy, through all four services as processes."""

import hashlib
from typing import Any

import httpx
import pytest
from minio import Minio

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Institution, Operator, eventually
from tests.support.builders import inline, record_body, structured_medical

pytestmark = pytest.mark.e2e

RRN, NAME, BIRTH = "900101-1234567", "김민수", "1990-01-01"
CLINICAL_NOTE = "발열과 기침이 사흘째 지속됨 SKELETON-7f3a"


@pytest.fixture(scope="module")
def deposited(cluster: Cluster) -> dict[str, str]:
    client_id, secret = Operator(cluster).register_client(["31000001"])
    clinic = Institution(cluster, client_id, secret)
    transfer_id = clinic.open_transfer("31000001", "행복소아과의원")
    content = structured_medical(CLINICAL_NOTE)
    response = clinic.put_record(
        transfer_id,
        "chart-0001",
        record_body(RRN, NAME, BIRTH, inline(content, "application/vnd.medrec.record+json")),
    )
    assert response.status_code == 201, response.text
    return {
        "record_id": response.json()["record_id"],
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def test_a_citizen_gets_a_verifiable_copy_of_a_deposited_record(
    cluster: Cluster, deposited: dict[str, str]
) -> None:
    citizen = Citizen(cluster, NAME, RRN)

    def named() -> list[dict[str, Any]] | None:
        # the record (records topic) and its institution's name (the transfer's TransferOpened,
        # on its own topic) reach catalog independently: a busy broker may deliver either first
        records = citizen.records()
        return records if records and all(r["institution"]["name"] for r in records) else None

    records = eventually(named, what="the record and its institution's name to reach catalog")
    assert [r["record_id"] for r in records] == [deposited["record_id"]]
    assert records[0]["institution"] == {"code": "31000001", "name": "행복소아과의원"}
    assert records[0]["title"] == "외래 진료기록"
    assert records[0]["retention_until"] == "2029-03-09"

    issuance = citizen.request_copy([deposited["record_id"]])
    ready = citizen.wait_ready(issuance["issuance_id"])
    document = citizen.issuance.get(f"/v1/issuances/{issuance['issuance_id']}/document")
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/pdf"
    assert document.content.startswith(b"%PDF")
    assert hashlib.sha256(document.content).hexdigest() == ready["sha256"]

    verified = httpx.get(
        f"{cluster.url('issuance')}/v1/verify",
        params={"number": ready["issuance_number"], "code": ready["verification_code"]},
    ).json()
    assert verified["valid"] is True
    assert verified["institutions"] == ["행복소아과의원"]
    assert verified["record_count"] == 1
    wrong = httpx.get(
        f"{cluster.url('issuance')}/v1/verify",
        params={"number": ready["issuance_number"], "code": "WRONGCOD"},
    ).json()
    assert wrong == {"valid": False}


def test_the_stored_object_is_ciphertext(cluster: Cluster, deposited: dict[str, str]) -> None:
    assert cluster.infra is not None
    s3 = Minio(
        cluster.infra.s3_url.removeprefix("http://"),
        access_key=cluster.infra.s3_access_key,
        secret_key=cluster.infra.s3_secret_key,
        secure=False,
    )
    raw = s3.get_object("medrec-records", f"records/{deposited['record_id']}").read()
    assert len(raw) > 0
    for plaintext in (
        CLINICAL_NOTE.encode(),
        "급성 상기도감염".encode(),
        b"J06.9",
        b"schema_version",
    ):
        assert plaintext not in raw
    assert hashlib.sha256(raw).hexdigest() != deposited["sha256"]


def test_no_personal_data_in_any_log_line(cluster: Cluster, deposited: dict[str, str]) -> None:
    # Runs after the walking skeleton in this module: every service has handled the record.
    Citizen(cluster, NAME, RRN).records()
    forbidden = [RRN, RRN.replace("-", ""), NAME, CLINICAL_NOTE, "SKELETON-7f3a", "급성 상기도감염"]
    logs = sorted(cluster.logs.glob("*.log"))
    assert len(logs) >= 8
    for log in logs:
        text = log.read_text(errors="replace")
        for value in forbidden:
            assert value not in text, f"{value!r} found in {log.name}"
