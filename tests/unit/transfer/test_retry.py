"""The transfer kit's client against a fake HTTP side (httpx.MockTransport): what is retried
and how long it waits, tokens refreshed before they expire, problems raised as typed errors."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from medrec_transfer import (
    AsyncTransferClient,
    Conflict,
    CredentialsError,
    Invalid,
    NotFound,
    RetryPolicy,
    ServiceUnavailable,
    TransferClient,
)
from medrec_transfer.push import FAILED_ROUNDS, failed_wait
from medrec_transfer.retry import parse_retry_after

TRANSFER: dict[str, Any] = {
    "transfer_id": "0190a0a0-0000-7000-8000-000000000001", "status": "open",
    "institution": {"code": "41000004"}, "reason": "closure", "effective_date": "2026-11-30",
    "record_count": None,
    "counts": {"received": 0, "stored": 0, "failed": 0, "expired_on_arrival": 0, "bytes": 0},
}  # fmt: skip
Handler = Callable[[httpx.Request], httpx.Response]


class Fake:
    """identity's token endpoint and an ingest answering from a script; a clock and a sleep
    that only count."""

    def __init__(self, ingest: Handler, *, expires_in: int = 300) -> None:
        self.ingest = ingest
        self.expires_in = expires_in
        self.tokens = 0
        self.calls: list[httpx.Request] = []
        self.now = 0.0
        self.slept: list[float] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            self.tokens += 1
            if request.headers["Authorization"] != httpx.BasicAuth("vendor", "s3cret")._auth_header:
                return httpx.Response(401, json={"error": "invalid_client"})
            body = {"access_token": f"t{self.tokens}", "token_type": "Bearer",
                    "expires_in": self.expires_in}  # fmt: skip
            return httpx.Response(200, json=body)
        self.calls.append(request)
        return self.ingest(request)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def client(self, secret: str = "s3cret", **policy: Any) -> AsyncTransferClient:
        return AsyncTransferClient(
            identity_url="https://identity", ingest_url="https://ingest",
            client_id="vendor", client_secret=secret,
            transport=httpx.MockTransport(self.handle),
            retry=RetryPolicy(rand=lambda: 1.0, **policy), sleep=self.sleep,
            clock=lambda: self.now,
        )  # fmt: skip


def script(*answers: httpx.Response | Exception) -> Handler:
    queue = list(answers)

    def answer(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return answer


def ok() -> httpx.Response:
    return httpx.Response(200, json=TRANSFER)


def problem(status: int, **fields: Any) -> httpx.Response:
    body = {"type": "x", "title": "T", "status": status} | fields
    return httpx.Response(status, json=body, headers={"Content-Type": "application/problem+json"})


# -- the policy -----------------------------------------------------------------------------
def test_backoff_doubles_with_full_jitter_up_to_the_cap() -> None:
    top = RetryPolicy(base=0.5, cap=4, rand=lambda: 1.0)
    assert [top.backoff(n) for n in range(1, 7)] == [0.5, 1, 2, 4, 4, 4]
    half = RetryPolicy(base=0.5, cap=4, rand=lambda: 0.5)
    assert [half.backoff(n) for n in range(1, 4)] == [0.25, 0.5, 1]
    assert RetryPolicy(rand=lambda: 0.0).backoff(5) == 0


def test_the_default_policy_and_failed_lines_ride_out_minutes_of_outage() -> None:
    # A 503 with Retry-After, or no answer at all, is asked again for ten minutes; lines a
    # batch answered `failed` (the service's storage away) are sent again over three.
    assert RetryPolicy().max_elapsed >= 180
    waits = [failed_wait(n) for n in range(2, FAILED_ROUNDS + 1)]
    assert waits[:4] == [2, 4, 8, 16] and max(waits) == 30
    assert sum(waits) >= 180


def test_retry_after_is_read_as_seconds_or_a_date() -> None:
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    policy = RetryPolicy(retry_after_cap=60)
    assert policy.delay(1, retry_after=7) == 7 and policy.delay(1, retry_after=3600) == 60


# -- the client -----------------------------------------------------------------------------
async def test_a_429_waits_what_retry_after_says_then_succeeds() -> None:
    fake = Fake(script(httpx.Response(429, headers={"Retry-After": "3"}), ok()))
    async with fake.client() as client:
        transfer = await client.get_transfer(TRANSFER["transfer_id"])
    assert transfer.status == "open" and transfer.counts.stored == 0
    assert fake.slept == [3] and len(fake.calls) == 2


@pytest.mark.parametrize(
    "failure",
    [problem(500), problem(502), problem(503), httpx.ConnectError("refused"),
     httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("closed mid-answer")],
)  # fmt: skip
async def test_5xx_timeouts_and_connection_errors_are_retried_with_growing_waits(
    failure: httpx.Response | Exception,
) -> None:
    fake = Fake(script(failure, failure, failure, ok()))
    async with fake.client(base=0.5) as client:
        await client.get_transfer("x")
    assert fake.slept == [0.5, 1.0, 2.0]
    assert len(fake.calls) == 4


@pytest.mark.parametrize(
    ("status", "error"), [(404, NotFound), (409, Conflict), (422, Invalid), (400, Exception)]
)
async def test_a_4xx_is_never_retried_and_raised_with_the_problem_fields(
    status: int, error: type[Exception]
) -> None:
    errors = [{"field": "kind", "message": "must be one of: …"}]
    fake = Fake(script(problem(status, detail="why", errors=errors, instance="/x")))
    async with fake.client() as client:
        with pytest.raises(error) as raised:
            await client.put_record("t", "E-1", {})
    assert len(fake.calls) == 1 and fake.slept == []
    refused: Any = raised.value
    assert (refused.status, refused.type, refused.title, refused.detail) == (
        status,
        "x",
        "T",
        "why",
    )
    assert [(e.field, e.message) for e in refused.errors] == [("kind", "must be one of: …")]
    assert refused.extra == {"instance": "/x"}


async def test_the_policy_gives_up_after_its_time_and_says_so() -> None:
    fake = Fake(script(httpx.ConnectError("refused")))
    async with fake.client(base=1, cap=8, max_elapsed=30) as client:
        with pytest.raises(ServiceUnavailable, match="ConnectError"):
            await client.get_transfer("x")
    assert sum(fake.slept) <= 30 and fake.slept[:4] == [1, 2, 4, 8]


async def test_a_5xx_that_lasts_past_the_policy_is_raised_as_its_problem() -> None:
    fake = Fake(script(problem(503, detail="storage unavailable")))
    async with fake.client(max_attempts=3) as client:
        with pytest.raises(Exception, match="storage unavailable") as raised:
            await client.get_transfer("x")
    assert getattr(raised.value, "status", None) == 503 and len(fake.calls) == 3


async def test_opening_a_transfer_is_not_repeated_once_the_request_may_have_arrived() -> None:
    fake = Fake(script(httpx.ReadTimeout("slow")))
    async with fake.client() as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.open_transfer({})
    assert len(fake.calls) == 1
    fake = Fake(script(httpx.ConnectError("refused"), httpx.Response(201, json=TRANSFER)))
    async with fake.client() as client:
        assert (await client.open_transfer({})).transfer_id == TRANSFER["transfer_id"]


async def test_the_token_is_renewed_before_it_expires_and_once_on_a_401() -> None:
    fake = Fake(script(ok()), expires_in=100)
    async with fake.client() as client:
        await client.get_transfer("x")
        fake.now = 70
        await client.get_transfer("x")
        assert fake.tokens == 1  # still fresh
        fake.now = 85  # past 80% of its lifetime
        await client.get_transfer("x")
        assert fake.tokens == 2
        fake.ingest = script(problem(401), ok())
        await client.get_transfer("x")
        assert fake.tokens == 3
    assert [c.headers["Authorization"] for c in fake.calls] == [
        "Bearer t1", "Bearer t1", "Bearer t2", "Bearer t2", "Bearer t3",
    ]  # fmt: skip


async def test_wrong_credentials_are_a_credentials_error() -> None:
    fake = Fake(script(ok()))
    async with fake.client(secret="wrong") as client:
        with pytest.raises(CredentialsError) as raised:
            await client.get_transfer("x")
    assert raised.value.error == "invalid_client" and fake.calls == []


async def test_a_streamed_upload_is_read_again_from_the_start_on_a_retry(tmp_path: Path) -> None:
    content = bytes(range(256)) * 8192  # 2 MiB: two chunks
    path = tmp_path / "scan.dcm"
    path.write_bytes(content)
    bodies: list[bytes] = []
    answers = iter([problem(503), httpx.Response(201, json=record_json(len(content)))])

    def ingest(request: httpx.Request) -> httpx.Response:
        bodies.append(request.read())
        return next(answers)

    fake = Fake(ingest)
    progress: list[int] = []
    async with fake.client() as client:
        deposit = await client.put_content("t", "E-1", path, "application/dicom",
                                           on_progress=progress.append)  # fmt: skip
    assert deposit.created and bodies == [content, content]
    request = fake.calls[0]
    assert request.headers["Content-Length"] == str(len(content))
    assert request.headers["Content-Digest"].startswith("sha-256=:")
    assert progress == [0, 1048576, 2097152, 0, 1048576, 2097152]


def record_json(size: int) -> dict[str, Any]:
    return {"record_id": "r", "external_id": "E-1", "status": "stored",
            "content_type": "application/dicom", "size": size, "sha256": "00"}  # fmt: skip


def test_the_sync_client_makes_the_same_calls() -> None:
    invalid = {"type": "validation", "title": "Invalid", "status": 422,
               "errors": [{"field": "kind", "message": "…"}]}  # fmt: skip
    answers = [
        json.dumps({"line": 1, "external_id": "E-1", "status": "created", "record_id": "r"}),
        json.dumps({"line": 2, "external_id": "E-2", "status": "invalid", "problem": invalid}),
    ]
    fake = Fake(lambda request: httpx.Response(200, text="\n".join(answers) + "\n"))
    with TransferClient(
        identity_url="https://identity", ingest_url="https://ingest", client_id="vendor",
        client_secret="s3cret", transport=httpx.MockTransport(fake.handle),
    ) as client:  # fmt: skip
        results = client.deposit_batch("t", [{"external_id": "E-1"}, b'{"external_id": "E-2"}'])
    assert [r.status for r in results] == ["created", "invalid"]
    assert results[0].stored and not results[1].stored
    assert results[1].problem is not None and results[1].problem.errors[0].field == "kind"
    sent = fake.calls[0]
    assert sent.headers["Content-Type"] == "application/x-ndjson"
    assert sent.read().count(b"\n") == 2
