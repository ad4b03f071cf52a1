"""`in_order`, the batch's pipeline: results in order whatever order the work ends in, at most
`at_once` running, a result given before the next item arrives, an error reading the items
raised after the results before it, and nothing left running when the caller stops."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from medrec_ingest.deposit.pipeline import in_order

DEADLINE = 10.0


async def _items(values: list[int], then: BaseException | None = None) -> AsyncIterator[int]:
    for value in values:
        yield value
    if then is not None:
        raise then


async def test_results_come_in_order_with_at_most_two_running() -> None:
    running = peak = 0

    async def work(value: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01 * (5 - value))  # the later ones end first
        running -= 1
        return value * 10

    got = [r async for r in in_order(_items([0, 1, 2, 3, 4]), work, 2)]
    assert got == [0, 10, 20, 30, 40]
    assert peak == 2


async def test_a_result_is_given_while_the_next_item_has_not_arrived() -> None:
    more = asyncio.Event()

    async def items() -> AsyncIterator[int]:
        yield 1
        await more.wait()  # a client waiting for its answer before it sends more
        yield 2

    async def work(value: int) -> int:
        return value

    results = in_order(items(), work, 2)
    assert await asyncio.wait_for(anext(results), DEADLINE) == 1
    more.set()
    assert await asyncio.wait_for(anext(results), DEADLINE) == 2
    await results.aclose()


async def test_an_error_reading_the_items_comes_after_the_results_before_it() -> None:
    async def work(value: int) -> int:
        await asyncio.sleep(0.01)
        return value

    got = []
    with pytest.raises(ConnectionResetError):
        async for result in in_order(_items([1, 2], ConnectionResetError()), work, 2):
            got.append(result)
    assert got == [1, 2]


async def test_work_still_running_is_cancelled_when_the_caller_stops() -> None:
    started: list[int] = []
    cancelled: list[int] = []

    async def work(value: int) -> int:
        started.append(value)
        if value == 0:
            return value
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(value)
            raise
        return value

    results = in_order(_items([0, 1, 2]), work, 2)
    assert await anext(results) == 0
    await results.aclose()
    assert cancelled == [v for v in started if v != 0] and cancelled


async def test_an_error_in_the_work_is_raised_in_its_turn() -> None:
    async def work(value: int) -> int:
        if value == 2:
            raise RuntimeError("the database went away")
        return value

    got = []
    with pytest.raises(RuntimeError, match="went away"):
        async for result in in_order(_items([1, 2, 3]), work, 2):
            got.append(result)
    assert got == [1]
