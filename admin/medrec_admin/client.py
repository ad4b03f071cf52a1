"""A typed client of medrec's admin API: a client-credentials token from identity, then calls to
each service's admin routes. Every URL must be https:// (plain http:// only to this machine);
a refusal is an `AdminProblem` carrying the RFC 9457 problem's status, title and detail."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from medrec_transfer.urls import require_secure

Service = Literal["identity", "ingest", "catalog", "issuance"]
SERVICES: tuple[Service, ...] = ("identity", "ingest", "catalog", "issuance")
# The services whose workers consume events, so have dead letters.
CONSUMERS: tuple[Service, ...] = ("ingest", "catalog", "issuance")
LOCAL_URLS: dict[Service, str] = {
    "identity": "http://127.0.0.1:8001",
    "ingest": "http://127.0.0.1:8002",
    "catalog": "http://127.0.0.1:8003",
    "issuance": "http://127.0.0.1:8004",
}
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
# A Kubernetes Service's own name: medrec-admin run as an operators' job in the cluster calls the
# APIs over the pod network, as the console and the services call each other (the NetworkPolicies
# let the operators' namespace in, docs/operations.md); only a fully qualified Service name
# counts, never a short name a search domain could resolve elsewhere.
CLUSTER_SUFFIXES = (".svc.cluster.local",)


def require_transport(url: str, what: str) -> str:
    """https:// anywhere; plain http:// to this machine (the kit's rule, medrec_transfer.urls) or
    to a cluster Service by its fully qualified name; else `InsecureURL`."""
    parts = urlsplit(url)
    if parts.scheme == "http" and (parts.hostname or "").endswith(CLUSTER_SUFFIXES):
        return url
    return require_secure(url, what)


class AdminProblem(Exception):
    """The service refused (4xx) or failed (5xx); no body beyond the problem's own words."""

    def __init__(self, status: int, title: str, detail: str | None = None) -> None:
        said = f": {detail}" if detail and detail != title else ""
        super().__init__(f"{status} {title}{said}")
        self.status = status
        self.title = title
        self.detail = detail


class CredentialsRefused(AdminProblem):
    """identity refused the client id and secret."""


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str


def _problem(response: httpx.Response) -> AdminProblem:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    title = str(body.get("title") or body.get("error") or response.reason_phrase)
    detail = body.get("detail") or body.get("error_description")
    return AdminProblem(response.status_code, title, str(detail) if detail else None)


class AdminClient:
    def __init__(
        self,
        urls: Mapping[Service, str],
        credentials: Credentials,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        for service, url in urls.items():
            require_transport(url, f"the {service} URL")  # the secret and tokens never in clear
        self._urls = dict(urls)
        self._credentials = credentials
        self._http = httpx.Client(timeout=TIMEOUT, transport=transport)
        self._token: str | None = None

    def __enter__(self) -> "AdminClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def _fetch_token(self) -> str:
        response = self._http.post(
            f"{self._urls['identity']}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(self._credentials.client_id, self._credentials.client_secret),
        )
        if response.status_code in (400, 401):
            found = _problem(response)
            raise CredentialsRefused(response.status_code, found.title, found.detail)
        if response.status_code != 200:
            raise _problem(response)
        token = str(response.json()["access_token"])
        self._token = token
        return token

    def call(
        self,
        service: Service,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
    ) -> Any:
        """The answer's JSON (None for 204). A 401 fetches a token once more (a token past its
        life, a signing key rotated) and repeats the call."""
        for attempt in range(2):
            token = self._token if self._token is not None else self._fetch_token()
            response = self._http.request(
                method,
                f"{self._urls[service]}{path}",
                json=json,
                params={k: v for k, v in (params or {}).items() if v is not None},
                headers={"Authorization": f"Bearer {token}"},
            )
            if response.status_code == 401 and attempt == 0:
                self._token = None
                continue
            if response.status_code >= 400:
                raise _problem(response)
            return None if response.status_code == 204 or not response.content else response.json()
        raise AssertionError("unreachable")  # pragma: no cover

    # -- institution clients (identity, clients:manage) -----------------------------------
    def register_client(
        self, name: str, institution_codes: list[str], scopes: list[str]
    ) -> dict[str, Any]:
        body = {"name": name, "institution_codes": institution_codes, "scopes": scopes}
        created: dict[str, Any] = self.call("identity", "POST", "/v1/clients", json=body)
        return created

    def list_clients(self) -> dict[str, Any]:
        found: dict[str, Any] = self.call("identity", "GET", "/v1/clients")
        return found

    def revoke_client(self, client_id: str) -> None:
        self.call("identity", "DELETE", f"/v1/clients/{client_id}")

    # -- dead letters (each consuming service, dead-letters:manage) ------------------------
    def dead_letters(
        self, service: Service, status: str, limit: int, cursor: str | None
    ) -> dict[str, Any]:
        params: dict[str, str | int] = {"status": status, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        found: dict[str, Any] = self.call(service, "GET", "/v1/admin/dead-letters", params=params)
        return found

    def retry_dead_letter(self, service: Service, entry_id: int) -> dict[str, Any]:
        found: dict[str, Any] = self.call(
            service, "POST", f"/v1/admin/dead-letters/{entry_id}/retry"
        )
        return found

    # -- sweeps, counts, transfers, destructions -------------------------------------------
    def sweep(self, which: Literal["retention", "releases", "segments"]) -> dict[str, Any]:
        service: Service = "catalog" if which == "retention" else "ingest"
        found: dict[str, Any] = self.call(service, "POST", f"/v1/admin/{which}/sweep")
        return found

    def stats(self) -> dict[str, Any]:
        found: dict[str, Any] = self.call("catalog", "GET", "/v1/admin/stats")
        return found

    def transfers(self, params: Mapping[str, str | int]) -> dict[str, Any]:
        found: dict[str, Any] = self.call("ingest", "GET", "/v1/admin/transfers", params=params)
        return found

    def destructions(self, params: Mapping[str, str | int]) -> dict[str, Any]:
        found: dict[str, Any] = self.call("ingest", "GET", "/v1/admin/destructions", params=params)
        return found

    # -- long jobs in ingest (key re-wrap: keys:manage; linkage backfill: sweeps:run) -------
    def start_job(self, jobs: str, batch_size: int | None) -> dict[str, Any]:
        body = {"batch_size": batch_size} if batch_size else {}
        found: dict[str, Any] = self.call("ingest", "POST", f"/v1/admin/{jobs}", json=body)
        return found

    def job(self, jobs: str, job_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.call("ingest", "GET", f"/v1/admin/{jobs}/{job_id}")
        return found

    def jobs(self, jobs: str) -> dict[str, Any]:
        found: dict[str, Any] = self.call("ingest", "GET", f"/v1/admin/{jobs}")
        return found
