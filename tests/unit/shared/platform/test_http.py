"""Calls between services: a 404 is "not held" (None), any other failure raises, and a failed
call mid-request is told to the client as the other service away (503) or a fault between the
services (502)."""

import httpx
import pytest

from medrec_shared.platform.http import unless_missing
from medrec_shared.platform.problems import upstream_problem

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


def _failed(status: int) -> httpx.HTTPStatusError:
    return httpx.HTTPStatusError("failed", request=REQUEST, response=answer(status))


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (httpx.ConnectError("refused"), 503),
        (httpx.ReadTimeout("slow"), 503),
        (_failed(500), 503),
        (_failed(503), 503),
        (_failed(429), 503),
        (_failed(401), 502),
        (_failed(422), 502),
    ],
)
def test_a_call_to_another_service_that_fails_is_told_as_unavailable_or_a_fault_between_them(
    failure: httpx.HTTPError, status: int
) -> None:
    problem = upstream_problem(failure)
    assert problem.status == status
    # Worth sending again only when the other service was away: then the client is told when.
    assert ("Retry-After" in problem.headers) == (status == 503)
