"""A typed client of medrec's transfer API (ingest) with identity's client-credentials tokens.

`AsyncTransferClient` is the client; `TransferClient` is the same for synchronous code (it runs
the async client on an event loop of its own). Every call:
- carries a token fetched from identity's `/oauth/token` and fetched again before it expires
  (and once more if ingest answers 401, e.g. after a signing-key rotation);
- is retried by the `RetryPolicy` (429 honouring Retry-After, 5xx, timeouts, connection errors;
  never another 4xx). That is safe because every write of the transfer API is idempotent:
  records are keyed by external_id and a repeat is answered "unchanged" (200), not stored again.
  Opening a transfer is the one write that is not: it is retried only before any answer could
  have been given (connection refused), and callers find an open transfer before opening one;
- raises a `ProblemError` subclass carrying the problem's fields for a refusal.
Streamed content is read from its file one chunk at a time, again from the start on a retry.
Both URLs must be https (plain http only to this machine): `InsecureURL` otherwise."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx

from medrec_transfer.digest import afile_chunks, afile_sha256, bytes_sha256, content_digest
from medrec_transfer.errors import Conflict, CredentialsError, ProblemError, ServiceUnavailable
from medrec_transfer.models import BatchResult, Deposit, Receipt, Record, Transfer
from medrec_transfer.retry import (
    RetryPolicy,
    is_retried_exception,
    is_retried_status,
    parse_retry_after,
)
from medrec_transfer.urls import require_secure

T = TypeVar("T")
NDJSON = "application/x-ndjson"
Body = bytes | Callable[[], AsyncIterator[bytes]] | None
# Called before each wait: (what, attempt, delay seconds, the reason in a few words).
RetryHook = Callable[[str, int, float, str], None]
DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)


class _Token:
    """A client-credentials token, refreshed a margin before it expires."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.value: str | None = None
        self.expires_at = 0.0

    def fresh(self, now: float) -> bool:
        return self.value is not None and now < self.expires_at

    def keep(self, body: dict[str, Any], now: float) -> None:
        lifetime = float(body.get("expires_in") or 300)
        self.value = str(body["access_token"])
        # Refresh at 80% of the lifetime, and never closer than 5 s to the end.
        self.expires_at = now + max(0.0, min(lifetime * 0.8, lifetime - 5))


class AsyncTransferClient:
    def __init__(
        self,
        *,
        identity_url: str,
        ingest_url: str,
        client_id: str,
        client_secret: str,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        on_retry: RetryHook | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_connections: int = 16,
    ) -> None:
        # The secret goes to identity, the records to ingest: neither in clear (see urls.py).
        require_secure(identity_url, "the identity URL")
        require_secure(ingest_url, "the ingest URL")
        limits = httpx.Limits(max_connections=max_connections)
        self._identity = httpx.AsyncClient(
            base_url=identity_url, timeout=timeout, transport=transport, limits=limits
        )
        self._ingest = httpx.AsyncClient(
            base_url=ingest_url, timeout=timeout, transport=transport, limits=limits
        )
        self._token = _Token(client_id, client_secret)
        self._token_lock = asyncio.Lock()
        self.retry = retry or RetryPolicy()
        self._on_retry = on_retry
        self._sleep = sleep
        self._clock = clock

    async def __aenter__(self) -> "AsyncTransferClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._identity.aclose()
        await self._ingest.aclose()

    # -- the transfer API ------------------------------------------------------------------
    async def open_transfer(self, body: dict[str, Any]) -> Transfer:
        """POST /v1/transfers: `{institution, reason, effective_date, expected_records?}`."""
        response = await self._call("POST", "/v1/transfers", json_body=body, once=True)
        return Transfer.from_json(response.json())

    async def get_transfer(self, transfer_id: str) -> Transfer:
        response = await self._call("GET", f"/v1/transfers/{transfer_id}")
        return Transfer.from_json(response.json())

    async def list_transfers(self, page_size: int = 100) -> AsyncIterator[Transfer]:
        """Every transfer of this client, page by page."""
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": page_size} | ({"cursor": cursor} if cursor else {})
            body = (await self._call("GET", "/v1/transfers", params=params)).json()
            for item in body.get("items", []):
                yield Transfer.from_json(item)
            cursor = body.get("next_cursor")
            if not cursor:
                return

    async def put_record(
        self, transfer_id: str, external_id: str, record: dict[str, Any]
    ) -> Deposit:
        """PUT one record, its content inline or declared (`{content_type, size, sha256}`)."""
        response = await self._call(
            "PUT", f"/v1/transfers/{transfer_id}/records/{external_id}", json_body=record
        )
        return Deposit(Record.from_json(response.json()), response.status_code == 201)

    async def put_content(
        self,
        transfer_id: str,
        external_id: str,
        content: Path | bytes,
        content_type: str,
        *,
        sha256: str | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> Deposit:
        """PUT …/content: a declared record's content, streamed from a file (constant memory)
        or given as bytes, with its `Content-Digest`. `on_progress` is told the bytes sent by
        the current attempt."""
        if isinstance(content, Path):
            path = content
            digest = sha256 or await afile_sha256(path)
            size = await _size(path)

            async def chunks() -> AsyncIterator[bytes]:
                # Each attempt reads the file from its start: progress counts from zero again.
                sent = 0
                if on_progress is not None:
                    on_progress(0)
                async for block in afile_chunks(path):
                    yield block
                    sent += len(block)
                    if on_progress is not None:
                        on_progress(sent)

            body: Body = chunks
        else:
            digest = sha256 or bytes_sha256(content)
            size = len(content)
            body = content
        headers = {
            "Content-Type": content_type,
            "Content-Digest": content_digest(digest),
            "Content-Length": str(size),
        }
        response = await self._call(
            "PUT",
            f"/v1/transfers/{transfer_id}/records/{external_id}/content",
            body=body,
            headers=headers,
        )
        return Deposit(Record.from_json(response.json()), response.status_code == 201)

    async def deposit_file(
        self,
        transfer_id: str,
        external_id: str,
        record: dict[str, Any],
        path: Path,
        content_type: str,
        *,
        sha256: str | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> Deposit:
        """A record whose content is a file of any size: declared, then streamed unless the
        service holds it already."""
        digest = sha256 or await afile_sha256(path)
        declared = record | {
            "content": {"content_type": content_type, "size": await _size(path),
                        "sha256": digest}
        }  # fmt: skip
        deposit = await self.put_record(transfer_id, external_id, declared)
        if deposit.record.status == "stored":
            return deposit
        return await self.put_content(
            transfer_id, external_id, path, content_type, sha256=digest, on_progress=on_progress
        )

    async def deposit_batch(
        self, transfer_id: str, lines: Sequence[dict[str, Any] | bytes]
    ) -> list[BatchResult]:
        """POST …/records:batch: each line a record with `external_id` and inline content; one
        result per line, in order. Lines answered `failed` may be sent again."""
        body = b"".join(
            (line if isinstance(line, bytes) else json.dumps(line, ensure_ascii=False).encode())
            .rstrip(b"\n") + b"\n"
            for line in lines
        )  # fmt: skip
        response = await self._call(
            "POST",
            f"/v1/transfers/{transfer_id}/records:batch",
            body=body,
            headers={"Content-Type": NDJSON},
        )
        return [BatchResult.from_json(json.loads(x)) for x in response.text.splitlines() if x]

    async def complete(
        self,
        transfer_id: str,
        record_count: int,
        external_ids: list[str] | None = None,
        *,
        declared: dict[str, Any] | None = None,
        allow_missing: bool = False,
    ) -> Transfer:
        """POST …/complete: `record_count` records held (and their ids, to name any missing);
        with `declared`, the service reconciles the declaration and answers `reconciliation`;
        declared records not stored are refused (409) unless `allow_missing`."""
        body: dict[str, Any] = {"record_count": record_count}
        if external_ids is not None:
            body["external_ids"] = external_ids
        if declared is not None:
            body["declared"] = declared
        if allow_missing:
            body["allow_missing"] = True
        response = await self._call("POST", f"/v1/transfers/{transfer_id}/complete", json_body=body)
        return Transfer.from_json(response.json())

    async def receipt(self, transfer_id: str, *, wait: float = 120.0) -> Receipt:
        """GET …/receipt: the completed transfer's 이관확인서 (PDF). While it is being made the
        service answers 409 with Retry-After: asked again until `wait` seconds have passed, then
        the 409 is raised. 404: the service has none for this transfer."""
        started = self._clock()
        while True:
            try:
                response = await self._call("GET", f"/v1/transfers/{transfer_id}/receipt")
            except Conflict as not_yet:
                delay = min(max(not_yet.retry_after or 2.0, 0.2), 30.0)
                if self._clock() - started + delay > wait:
                    raise
                await self._sleep(delay)
                continue
            return Receipt(pdf=response.content, number=issuance_number(response))

    async def openapi(self) -> dict[str, Any]:
        """ingest's OpenAPI document (public), whose components hold the record schema."""
        response = await self._retrying(
            "openapi", lambda: self._ingest.get("/openapi.json"), once=False
        )
        if response.status_code != 200:
            raise _problem(response)
        document: dict[str, Any] = response.json()
        return document

    # -- tokens, retries ---------------------------------------------------------------------
    async def token(self, *, renew: bool = False) -> str:
        async with self._token_lock:
            if renew or not self._token.fresh(self._clock()):
                response = await self._retrying(
                    "token",
                    lambda: self._identity.post(
                        "/oauth/token",
                        data={"grant_type": "client_credentials"},
                        auth=(self._token.client_id, self._token.client_secret),
                    ),
                    once=False,
                )
                if response.status_code != 200:
                    try:
                        body = response.json()
                    except ValueError:
                        body = {}
                    if response.status_code in (400, 401, 403):
                        raise CredentialsError(
                            str(body.get("error") or response.status_code),
                            body.get("error_description"),
                        )
                    raise _problem(response)
                self._token.keep(response.json(), self._clock())
            assert self._token.value is not None
            return self._token.value

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: Body = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        once: bool = False,
    ) -> httpx.Response:
        renewed = False
        while True:
            token = await self.token()

            async def send(token: str = token) -> httpx.Response:
                sent = dict(headers or {}) | {"Authorization": f"Bearer {token}"}
                content = body() if callable(body) else body
                request = self._ingest.build_request(
                    method, path, json=json_body, content=content, headers=sent, params=params
                )
                return await self._ingest.send(request)

            response = await self._retrying(f"{method} {path}", send, once=once)
            if response.status_code == 401 and not renewed:
                renewed = True
                await self.token(renew=True)
                continue
            if response.status_code >= 400:
                raise _problem(response)
            return response

    async def _retrying(
        self, what: str, send: Callable[[], Awaitable[httpx.Response]], *, once: bool
    ) -> httpx.Response:
        """`send` until an answer that is not retried. With `once`, only failures where the
        request cannot have reached the service (connect errors) are retried."""
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            retry_after: float | None = None
            try:
                response = await send()
            except Exception as error:
                retried = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout) or (
                    not once and is_retried_exception(error)
                )
                if not retried:
                    raise
                reason = type(error).__name__
                last: httpx.Response | BaseException = error
            else:
                if not is_retried_status(response.status_code) or (
                    once and response.status_code != 429 and response.status_code != 503
                ):
                    return response
                await response.aread()
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                reason = f"HTTP {response.status_code}"
                last = response
            delay = self.retry.delay(attempt, retry_after)
            if self.retry.gives_up(attempt, self._clock() - started, delay):
                if isinstance(last, httpx.Response):
                    return last
                raise ServiceUnavailable(f"{what}: gave up after {attempt} attempts ({reason})")
            if self._on_retry is not None:
                self._on_retry(what, attempt, delay, reason)
            await self._sleep(delay)


async def _size(path: Path) -> int:
    return (await anyio.Path(path).stat()).st_size


def _problem(response: httpx.Response) -> ProblemError:
    try:
        body = response.json()
    except ValueError:
        body = {"title": response.reason_phrase or "Error"}
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    return ProblemError.from_body(response.status_code, body, retry_after)


def issuance_number(response: httpx.Response) -> str | None:
    """A receipt's issuance number: ingest's `Medrec-Issuance-Number` header."""
    number = response.headers.get("Medrec-Issuance-Number")
    return str(number) if number else None


class TransferClient:
    """The synchronous client: the same calls as `AsyncTransferClient`, each run to its end on
    this client's own event loop (so not to be used from inside a running loop)."""

    def __init__(self, **options: Any) -> None:
        self._runner = asyncio.Runner()
        self._async: AsyncTransferClient = self._runner.run(self._make(options))

    @staticmethod
    async def _make(options: dict[str, Any]) -> AsyncTransferClient:
        return AsyncTransferClient(**options)

    def __enter__(self) -> "TransferClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._runner.run(self._async.aclose())
        self._runner.close()

    def _run(self, call: Awaitable[T]) -> T:
        return self._runner.run(call)  # type: ignore[arg-type]

    def open_transfer(self, body: dict[str, Any]) -> Transfer:
        return self._run(self._async.open_transfer(body))

    def get_transfer(self, transfer_id: str) -> Transfer:
        return self._run(self._async.get_transfer(transfer_id))

    def list_transfers(self, page_size: int = 100) -> list[Transfer]:
        async def collect() -> list[Transfer]:
            return [t async for t in self._async.list_transfers(page_size)]

        return self._run(collect())

    def put_record(self, transfer_id: str, external_id: str, record: dict[str, Any]) -> Deposit:
        return self._run(self._async.put_record(transfer_id, external_id, record))

    def put_content(
        self,
        transfer_id: str,
        external_id: str,
        content: Path | bytes,
        content_type: str,
        *,
        sha256: str | None = None,
    ) -> Deposit:
        return self._run(
            self._async.put_content(transfer_id, external_id, content, content_type, sha256=sha256)
        )

    def deposit_file(
        self,
        transfer_id: str,
        external_id: str,
        record: dict[str, Any],
        path: Path,
        content_type: str,
        *,
        sha256: str | None = None,
    ) -> Deposit:
        return self._run(
            self._async.deposit_file(
                transfer_id, external_id, record, path, content_type, sha256=sha256
            )
        )

    def deposit_batch(
        self, transfer_id: str, lines: Sequence[dict[str, Any] | bytes]
    ) -> list[BatchResult]:
        return self._run(self._async.deposit_batch(transfer_id, lines))

    def complete(
        self,
        transfer_id: str,
        record_count: int,
        external_ids: list[str] | None = None,
        *,
        declared: dict[str, Any] | None = None,
        allow_missing: bool = False,
    ) -> Transfer:
        return self._run(
            self._async.complete(
                transfer_id, record_count, external_ids, declared=declared,
                allow_missing=allow_missing,
            )
        )  # fmt: skip

    def receipt(self, transfer_id: str, *, wait: float = 120.0) -> Receipt:
        return self._run(self._async.receipt(transfer_id, wait=wait))

    def openapi(self) -> dict[str, Any]:
        return self._run(self._async.openapi())

    def token(self) -> str:
        return self._run(self._async.token())
