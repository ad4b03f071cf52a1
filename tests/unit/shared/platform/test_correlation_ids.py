"""A caller's X-Correlation-ID is repeated in every log line, event and answer of its flow: it is
kept only when short and plain (at most 64 of A-Z a-z 0-9 . _ -), else a new one is made."""

import asyncio
import re

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from medrec_shared.platform.logs import CORRELATION_HEADER, get_correlation_id, plain_correlation_id
from medrec_shared.platform.web import RequestContextMiddleware

NEW_ID = re.compile(r"[0-9a-f]{32}")


async def _seen(_request: Request) -> PlainTextResponse:
    return PlainTextResponse(get_correlation_id())  # what logs and events of the flow carry


def _answer(sent: bytes) -> httpx.Response:
    app = RequestContextMiddleware(Starlette(routes=[Route("/", _seen)]))

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/", headers=[(CORRELATION_HEADER.encode(), sent)])

    return asyncio.run(call())


@pytest.mark.parametrize("plain", ["a", "req-42", "A.b_C-9" * 9 + "z"])
def test_a_short_plain_correlation_id_is_kept(plain: str) -> None:
    assert len(plain) <= 64
    answer = _answer(plain.encode())
    assert answer.headers[CORRELATION_HEADER] == plain
    assert answer.text == plain


@pytest.mark.parametrize(
    "sent",
    [b"x" * 65, b"x" * 10_240, "환자-홍길동".encode(), b"abc def", b"a\tb", b"a/b", b"a;b=c", b""],
    ids=["65", "10k", "non-ascii", "space", "tab", "slash", "semicolon", "empty"],
)
def test_a_long_or_unusual_correlation_id_is_replaced_by_a_new_one(sent: bytes) -> None:
    answer = _answer(sent)
    made = answer.headers[CORRELATION_HEADER]
    assert NEW_ID.fullmatch(made), made
    assert answer.text == made  # the flow's logs and events carry the new id, not the sent one


def test_an_events_correlation_id_is_held_to_the_same_rule() -> None:
    assert plain_correlation_id("0123456789abcdef") == "0123456789abcdef"
    assert plain_correlation_id("x" * 65) is None
    assert plain_correlation_id("line\nbreak") is None
    assert plain_correlation_id("ok\n") is None
