"""The transport under a front door's typed API clients: one `Api` per service it calls, with
the signed-in person's token when a call is made for them.

Every answer that is not a success becomes an `ApiProblem` carrying the RFC 9457 fields the API
sent; the front door's pages turn it into a Korean sentence (its `messages`). Nothing of a request
(an RRN in a body, a token) is logged here: the correlation id travels in a header."""

from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from medrec_shared.platform.logs import CORRELATION_HEADER, get_correlation_id, get_logger

Answer = TypeVar("Answer", bound=BaseModel)
# The person's address (as the front door's proxy headers give it), passed on so the APIs' limits
# per client address (identity's sign-in) count people, not the front door; the APIs believe it
# only from trusted proxies.
CLIENT_ADDRESS: ContextVar[str | None] = ContextVar("frontdoor_client_address", default=None)


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


def problem(response: httpx.Response) -> ApiProblem:
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


class Api:
    """One API a front door calls. Every answer that is not a success is an `ApiProblem`. The
    front door's subclass names its logger (`log_name`), so an unreachable API is reported as the
    front door's."""

    log_name = "medrec.frontdoor.clients"

    def __init__(self, service: str, base_url: str, timeout: float) -> None:
        self.service = service
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self.log = get_logger(self.log_name)

    async def aclose(self) -> None:
        await self.http.aclose()

    def _headers(self, token: str | None) -> dict[str, str]:
        headers = {CORRELATION_HEADER: get_correlation_id()}
        if address := CLIENT_ADDRESS.get():
            headers["X-Forwarded-For"] = address
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        try:
            return await self.http.send(request, stream=stream)
        except httpx.HTTPError as exc:
            self.log.warning("api_unreachable", service=self.service, error=type(exc).__name__)
            raise ApiProblem(503, "unavailable") from exc

    async def call(
        self,
        answer: type[Answer],
        method: str,
        path: str,
        *,
        token: str | None = None,
        **kwargs: Any,
    ) -> Answer:
        """The answer, parsed; an `ApiProblem` for any status from 400 up, or when the API
        cannot be reached (503)."""
        response = await self.send(method, path, token=token, **kwargs)
        return answer.model_validate_json(response.content)

    async def send(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """The answer unparsed (one without a body: 204); an `ApiProblem` as `call`'s."""
        request = self.http.build_request(method, path, headers=self._headers(token), **kwargs)
        response = await self._send(request)
        if response.status_code >= 400:
            raise problem(response)
        return response

    async def stream(self, path: str, *, token: str) -> tuple[httpx.Response, AsyncIterator[bytes]]:
        """A streamed GET (a document, a PDF): the response (headers read) and its body; the
        caller closes the response when the body is done."""
        request = self.http.build_request("GET", path, headers=self._headers(token))
        response = await self._send(request, stream=True)
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            raise problem(response)
        return response, response.aiter_bytes()
