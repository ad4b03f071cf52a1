"""Calls between services: a 404 is "not held" (None), any other failure raises, and the shared
answers read the JSON the serving routes write (`medrec_shared.rules.contracts`).

These tests come from tests/unit/test_service_contracts.py, split by domain."""

import httpx
import pytest

from medrec_shared.platform.http import unless_missing

REQUEST = httpx.Request("GET", "http://catalog/internal/v1/records/x")


def answer(status: int, body: bytes = b"{}") -> httpx.Response:
    return httpx.Response(status, content=body, request=REQUEST)


def test_a_404_is_not_held_and_any_other_failure_raises() -> None:
    assert unless_missing(answer(404)) is None
    found = answer(200)
    assert unless_missing(found) is found
    for status in (401, 403, 500, 503):
        with pytest.raises(httpx.HTTPStatusError):
            unless_missing(answer(status))
