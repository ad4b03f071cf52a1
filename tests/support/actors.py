"""The people and systems that use medrec, as test helpers over the real HTTP APIs."""

import json
import secrets
import socket
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import httpx

from medrec_devstack.cluster import Cluster, StaffCredentials
from tests.support.builders import content_digest, ndjson

T = TypeVar("T")


def eventually(
    probe: Callable[[], T | None], *, timeout: float = 180, what: str = "condition"
) -> T:
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
        self.token = cluster.client_token(
            cluster.secrets.admin_client_id, cluster.secrets.admin_client_secret
        )

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


STAFF_TOKEN_FRESH_SECONDS = 600  # staff tokens live 15 minutes: re-minted when older than this


def new_login(prefix: str) -> str:
    """A staff login no other test uses."""
    return f"{prefix}.{secrets.token_hex(3)}"


class Staff:
    """A person of the service (or of a health centre) with a staff account, made through the
    cluster as `medrec-stack staff create` makes one; `token` is an access token for it (minted
    by `staff token`, sandbox only, without signing in: the sign-in itself has its own tests),
    re-minted before it expires. `identity` (and `client(service)`) call with it."""

    def __init__(
        self,
        cluster: Cluster,
        login: str,
        *,
        organisation: str = "khis",
        roles: Iterable[str] = ("platform",),
        region: str | None = None,
        name: str = "테스트 직원",
    ) -> None:
        self.cluster = cluster
        self.login = login
        self.roles = list(roles)
        self.organisation = organisation
        self.region = region
        self.credentials: StaffCredentials = cluster.create_staff(
            login, name, organisation, self.roles, region
        )
        self._token = ""
        self._minted = 0.0

    @property
    def token(self) -> str:
        if not self._token or time.monotonic() - self._minted > STAFF_TOKEN_FRESH_SECONDS:
            self._token = self.cluster.staff_token(self.login)
            self._minted = time.monotonic()
        return self._token

    def client(self, service: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.cluster.url(service), timeout=60, headers=bearer(self.token)
        )

    @property
    def identity(self) -> httpx.Client:
        return self.client("identity")


def service_client(
    cluster: Cluster, operator: Operator, service: str, scopes: list[str]
) -> httpx.Client:
    """Another service's view of `service`: a client provisioned (as deployment provisions the
    services' clients) with only `scopes`."""
    token = cluster.client_token(*cluster.provision_service_client("test-service", scopes))
    return httpx.Client(base_url=cluster.url(service), headers=bearer(token), timeout=120)


class Institution:
    """An EMR vendor's client depositing records for its institutions."""

    def __init__(self, cluster: Cluster, client_id: str, client_secret: str) -> None:
        self.token = cluster.client_token(client_id, client_secret)
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

    def access_log(self) -> list[dict[str, Any]]:
        """The subject's access history, newest first (up to 500 lines)."""
        response = self.catalog.get("/v1/me/access-log", params={"limit": 500})
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def mark_access_log(self) -> str:
        """A marker in the access history: a listing of nothing ("0 records"), waited for until
        it is the newest line. One person's events come in order, so every earlier act is in
        too. Its event id; the lines after one marker and up to the next are what was done
        between them."""
        before = {e["event_id"] for e in self.access_log()}
        assert self.records(**{"from": "1990-01-01", "to": "1990-01-01"}) == []

        def marker() -> str | None:
            first = next(iter(self.access_log()), None)  # none may have come in yet
            if first is None or first["event_id"] in before:
                return None
            return str(first["event_id"]) if first["resource_id"] == "0 records" else None

        return eventually(marker, what="the marker in the access log")

    def access_between(self, first: str, last: str) -> list[dict[str, Any]]:
        """The lines after the marker `first`, up to the marker `last` (excluded), oldest last."""
        ids = [e["event_id"] for e in self.access_log()]
        return self.access_log()[ids.index(last) + 1 : ids.index(first)]

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


class Depositor(Institution):
    """An institution client using the whole transfer API."""

    def __init__(self, cluster: Cluster, client_id: str, client_secret: str) -> None:
        super().__init__(cluster, client_id, client_secret)
        self.base_url = cluster.url("ingest")

    def transfer(self, transfer_id: str) -> dict[str, Any]:
        response = self.ingest.get(f"/v1/transfers/{transfer_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def put_content(
        self,
        transfer_id: str,
        external_id: str,
        content: bytes | Iterator[bytes],
        content_type: str,
        *,
        digest: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = {"Content-Type": content_type} | (headers or {})
        if digest is not None:
            sent["Content-Digest"] = digest
        elif isinstance(content, bytes):
            sent["Content-Digest"] = content_digest(content)
        return self.ingest.put(
            f"/v1/transfers/{transfer_id}/records/{external_id}/content",
            content=content,
            headers=sent,
            timeout=600,
        )

    def batch(
        self, transfer_id: str, lines: Iterable[dict[str, Any] | bytes]
    ) -> list[dict[str, Any]]:
        response = self.batch_response(transfer_id, ndjson(lines))
        assert response.status_code == 200, response.text
        return [json.loads(line) for line in response.text.splitlines()]

    def batch_response(self, transfer_id: str, body: bytes) -> httpx.Response:
        return self.ingest.post(
            f"/v1/transfers/{transfer_id}/records:batch",
            content=body,
            headers={"Content-Type": "application/x-ndjson"},
            timeout=600,
        )

    def complete(
        self,
        transfer_id: str,
        record_count: int,
        external_ids: list[str] | None = None,
        *,
        declared: dict[str, Any] | None = None,
        allow_missing: bool = False,
    ) -> httpx.Response:
        body: dict[str, Any] = {"record_count": record_count}
        if external_ids is not None:
            body["external_ids"] = external_ids
        if declared is not None:
            body["declared"] = declared
        params = {"allow_missing": "true"} if allow_missing else None
        return self.ingest.post(f"/v1/transfers/{transfer_id}/complete", json=body, params=params)

    def receipt(self, transfer_id: str) -> httpx.Response:
        """The transfer's 이관확인서 (409 while it is being made)."""
        return self.ingest.get(f"/v1/transfers/{transfer_id}/receipt")

    def wait_receipt(self, transfer_id: str) -> bytes:
        def made() -> bytes | None:
            response = self.receipt(transfer_id)
            if response.status_code == 409:
                assert response.headers.get("Retry-After"), response.text
                return None
            assert response.status_code == 200, response.text
            return response.content

        return eventually(made, what="the transfer's receipt")

    def duplex_batch(self, transfer_id: str) -> "DuplexBatch":
        return DuplexBatch(self.base_url, f"/v1/transfers/{transfer_id}/records:batch", self.token)


class DuplexBatch:
    """A batch request over a bare socket, as a full-duplex client sends one: lines go out in
    HTTP/1.1 chunks while answers are read; `abort` drops the connection mid-request."""

    def __init__(self, base_url: str, path: str, token: str) -> None:
        url = httpx.URL(base_url)
        self.sock = socket.create_connection((url.host, url.port or 80), timeout=60)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {url.host}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        self.sock.sendall(head.encode())
        self._raw = b""
        self._body = b""
        self._headers_done = False
        self.status: int | None = None
        self.answers: list[dict[str, Any]] = []

    def send(self, lines: Iterable[dict[str, Any] | bytes], *, newline: bool = True) -> None:
        data = ndjson(lines)
        if not newline:
            data = data.rstrip(b"\n")
        self.sock.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def finish(self) -> None:
        self.sock.sendall(b"0\r\n\r\n")

    def read_answers(self, count: int, timeout: float = 60) -> list[dict[str, Any]]:
        """Reads until `count` answers have arrived in all; returns them all."""
        deadline = time.monotonic() + timeout
        while len(self.answers) < count:
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            data = self.sock.recv(65536)
            if not data:
                raise AssertionError("the server closed the connection")
            self._feed(data)
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.answers)} of {count} answers arrived")
        return self.answers

    def _feed(self, data: bytes) -> None:
        self._raw += data
        if not self._headers_done:
            head, sep, rest = self._raw.partition(b"\r\n\r\n")
            if not sep:
                return
            self.status = int(head.split(b" ", 2)[1])
            self._headers_done, self._raw = True, rest
        while True:  # chunked transfer coding
            size_line, sep, rest = self._raw.partition(b"\r\n")
            if not sep:
                return
            size = int(size_line.split(b";")[0], 16)
            if len(rest) < size + 2:
                return
            self._body += rest[:size]
            self._raw = rest[size + 2 :]
            *complete, self._body = self._body.split(b"\n")
            self.answers.extend(json.loads(line) for line in complete if line.strip())
            if size == 0:
                return

    def abort(self) -> None:
        """Drops the connection at once (RST), as a crash or a network cut would."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self) -> None:
        self.sock.close()


# -- guardians: a citizen acting for a child ---------------------------------------------------


def seed_family_link(
    cluster: Cluster,
    parent_rrn: str,
    child_rrn: str,
    child_name: str,
    child_birth_date: str,
    *,
    relation: str = "parent",
    parental_authority: bool = True,
) -> None:
    """Seeds the sandbox family registry (sandbox mode only)."""
    response = httpx.post(
        f"{cluster.url('identity')}/v1/sandbox/family-links",
        json={
            "parent_rrn": parent_rrn,
            "child_rrn": child_rrn,
            "child_name": child_name,
            "child_birth_date": child_birth_date,
            "relation": relation,
            "parental_authority": parental_authority,
        },
        timeout=30,
    )
    assert response.status_code == 201, response.text


def children_of(citizen: Citizen) -> list[dict[str, Any]]:
    """GET /v1/me/children: [{person_id, name, birth_date, age, eligible, reason}]."""
    response = httpx.get(
        f"{citizen.cluster.url('identity')}/v1/me/children", headers=bearer(citizen.token)
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class ActingGuardian(Citizen):
    """A guardian acting for a child: the token's `sub` is the child, `act.sub` the guardian.
    The same helpers as Citizen (records, request_copy, wait_ready), as the child."""

    def __init__(self, guardian: Citizen, child_person_id: str) -> None:
        self.cluster = guardian.cluster
        self.guardian = guardian
        response = httpx.post(
            f"{guardian.cluster.url('identity')}/v1/me/children/{child_person_id}/token",
            headers=bearer(guardian.token),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]
        self.person_id = child_person_id
        self.catalog = httpx.Client(
            base_url=self.cluster.url("catalog"), timeout=30, headers=bearer(self.token)
        )
        self.issuance = httpx.Client(
            base_url=self.cluster.url("issuance"), timeout=60, headers=bearer(self.token)
        )


def act_for(guardian: Citizen, child_person_id: str) -> ActingGuardian:
    return ActingGuardian(guardian, child_person_id)
