"""The people and systems that use medrec, as test helpers over the real HTTP APIs."""

import base64
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from medrec_devstack.cluster import Cluster

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], *, timeout: float = 60, what: str = "condition") -> T:
    """Polls until `probe` returns something truthy; fails with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Operator:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.identity = httpx.Client(base_url=cluster.url("identity"), timeout=30)
        response = self.identity.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(cluster.secrets.admin_client_id, cluster.secrets.admin_client_secret),
        )
        response.raise_for_status()
        self.token = response.json()["access_token"]

    def register_client(self, codes: list[str], scopes: list[str] | None = None) -> tuple[str, str]:
        response = self.identity.post(
            "/v1/clients",
            json={"name": "테스트 EMR", "institution_codes": codes,
                  "scopes": scopes or ["transfer:write"]},
            headers=bearer(self.token),
        )  # fmt: skip
        assert response.status_code == 201, response.text
        body = response.json()
        return body["client_id"], body["client_secret"]


class Institution:
    """An EMR vendor's client depositing records for its institutions."""

    def __init__(self, cluster: Cluster, client_id: str, client_secret: str) -> None:
        identity = httpx.Client(base_url=cluster.url("identity"), timeout=30)
        response = identity.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, client_secret),
        )
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]
        self.ingest = httpx.Client(
            base_url=cluster.url("ingest"), timeout=60, headers=bearer(self.token)
        )

    def open_transfer(self, code: str, name: str, **overrides: Any) -> str:
        body = {
            "institution": {"code": code, "name": name, "type": "의원",
                            "address": "서울특별시 중구 세종대로 110", "region": "서울"},
            "reason": "closure",
            "effective_date": "2026-01-31",
        } | overrides  # fmt: skip
        response = self.ingest.post("/v1/transfers", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["transfer_id"])

    def put_record(
        self, transfer_id: str, external_id: str, record: dict[str, Any]
    ) -> httpx.Response:
        return self.ingest.put(f"/v1/transfers/{transfer_id}/records/{external_id}", json=record)


def inline(content: bytes, content_type: str) -> dict[str, str]:
    return {"content_type": content_type, "data_base64": base64.b64encode(content).decode()}


def structured_medical(note: str) -> bytes:
    return json.dumps(
        {
            "schema_version": "1",
            "specialty": "medical",
            "encounters": [
                {"date": "2019-03-02", "department": "소아청소년과", "chief_complaint": note}
            ],
            "diagnoses": [{"code": "J06.9", "name": "급성 상기도감염", "primary": True}],
        },
        ensure_ascii=False,
    ).encode()


def record_body(
    rrn: str, name: str, birth: str, content: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    return {
        "patient": {"rrn": rrn, "name": name, "birth_date": birth, "sex": "male"},
        "kind": "medical_record",
        "specialty": "medical",
        "title": "외래 진료기록",
        "service_start": "2019-03-02",
        "service_end": "2019-03-09",
        "department": "소아청소년과",
        "content": content,
    } | overrides


class Citizen:
    def __init__(self, cluster: Cluster, name: str, rrn: str, phone: str = "010-1234-5678") -> None:
        self.cluster = cluster
        identity = httpx.Client(base_url=cluster.url("identity"), timeout=30)
        started = identity.post(
            "/v1/verifications", json={"method": "mobile", "name": name, "rrn": rrn, "phone": phone}
        )
        assert started.status_code == 201, started.text
        body = started.json()
        confirmed = identity.post(
            f"/v1/verifications/{body['verification_id']}/confirm",
            json={"code": body["sandbox_code"]},
        )
        assert confirmed.status_code == 200, confirmed.text
        self.token = confirmed.json()["access_token"]
        self.person_id = confirmed.json()["person_id"]
        self.catalog = httpx.Client(
            base_url=cluster.url("catalog"), timeout=30, headers=bearer(self.token)
        )
        self.issuance = httpx.Client(
            base_url=cluster.url("issuance"), timeout=60, headers=bearer(self.token)
        )

    def records(self, **params: str) -> list[dict[str, Any]]:
        response = self.catalog.get("/v1/me/records", params=params)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def request_copy(self, record_ids: list[str]) -> dict[str, Any]:
        response = self.issuance.post("/v1/issuances", json={"record_ids": record_ids})
        assert response.status_code == 202, response.text
        body: dict[str, Any] = response.json()
        return body

    def wait_ready(self, issuance_id: str) -> dict[str, Any]:
        def ready() -> dict[str, Any] | None:
            body: dict[str, Any] = self.issuance.get(f"/v1/issuances/{issuance_id}").json()
            assert body["status"] != "failed", body
            return body if body["status"] == "ready" else None

        return eventually(ready, what="the copy to be ready")
