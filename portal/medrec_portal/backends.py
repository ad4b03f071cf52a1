"""The three APIs the portal calls (identity, catalog, issuance), with the citizen's token.

Every answer that is not a success becomes an `ApiProblem` carrying the RFC 9457 fields the API
sent; the pages turn it into a Korean sentence (medrec_portal.messages). Nothing of a request
(an RRN in a body, a token) is logged here: the correlation id travels in a header."""

from collections.abc import AsyncIterable, AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from medrec_shared.logs import CORRELATION_HEADER, get_correlation_id, get_logger

Service = Literal["identity", "catalog", "issuance"]
log = get_logger("medrec.portal.backends")
# The citizen's address (as the portal's proxy headers give it), passed on so the APIs' limits per
# client address count citizens, not the portal; they believe it only from trusted proxies.
CLIENT_ADDRESS: ContextVar[str | None] = ContextVar("portal_client_address", default=None)


@dataclass
class ApiProblem(Exception):
    status: int
    type: str = "about:blank"
    detail: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """The problem type without its base URL: "wrong-code", "guardian-age-limit" …"""
        return self.type.rstrip("/").rsplit("/", 1)[-1]


def _problem(response: httpx.Response) -> ApiProblem:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    known = {"type", "title", "status", "detail", "errors", "instance"}
    return ApiProblem(
        status=response.status_code,
        type=str(body.get("type") or "about:blank"),
        detail=body.get("detail"),
        errors=[e for e in body.get("errors") or [] if isinstance(e, dict)],
        extra={k: v for k, v in body.items() if k not in known},
    )


class Backends:
    def __init__(self, urls: dict[Service, str], timeout: float) -> None:
        self.clients = {
            name: httpx.AsyncClient(base_url=url, timeout=timeout) for name, url in urls.items()
        }

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    def _headers(self, token: str | None) -> dict[str, str]:
        headers = {CORRELATION_HEADER: get_correlation_id()}
        if address := CLIENT_ADDRESS.get():
            headers["X-Forwarded-For"] = address
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def call(
        self,
        service: Service,
        method: str,
        path: str,
        *,
        token: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """The answer's JSON; an `ApiProblem` for any status from 400 up, or when the API
        cannot be reached (503)."""
        try:
            response = await self.clients[service].request(
                method, path, headers=self._headers(token), **kwargs
            )
        except httpx.HTTPError as exc:
            log.warning("api_unreachable", service=service, error=type(exc).__name__)
            raise ApiProblem(503, "unavailable") from exc
        if response.status_code >= 400:
            raise _problem(response)
        return response.json() if response.content else None

    async def post_streamed(
        self, service: Service, path: str, body: AsyncIterable[bytes], content_type: str
    ) -> Any:
        """`call` with a body sent as it is produced (chunked), never held whole: an upload
        passed on as it arrives. What the body raises (a 413 while it is read) is raised."""
        headers = self._headers(None) | {"Content-Type": content_type}
        client = self.clients[service]
        request = client.build_request("POST", path, content=body, headers=headers)
        try:
            response = await client.send(request)
        except httpx.HTTPError as exc:
            log.warning("api_unreachable", service=service, error=type(exc).__name__)
            raise ApiProblem(503, "unavailable") from exc
        if response.status_code >= 400:
            raise _problem(response)
        return response.json() if response.content else None

    async def stream(
        self, service: Service, path: str, *, token: str
    ) -> tuple[httpx.Response, AsyncIterator[bytes]]:
        """A streamed GET (a PDF): the response (headers read) and its body; the caller
        closes the response when the body is done."""
        client = self.clients[service]
        request = client.build_request("GET", path, headers=self._headers(token))
        try:
            response = await client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise ApiProblem(503, "unavailable") from exc
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            raise _problem(response)
        return response, response.aiter_bytes()
