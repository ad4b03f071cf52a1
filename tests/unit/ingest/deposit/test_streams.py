"""Producing ahead within a bound: at most `ahead` items before the consumer, and a consumer that
stops early stops the producer."""

import asyncio

from medrec_ingest.deposit.streams import Put, run_ahead


async def test_the_producer_runs_at_most_ahead_items_before_the_consumer() -> None:
    produced = 0

    async def fill(put: Put[int]) -> None:
        nonlocal produced
        for i in range(10):
            await put(i)
            produced += 1

    items = run_ahead(fill, 2)
    assert await anext(items) == 0
    await asyncio.sleep(0.05)  # let the producer run as far as it may
    # One taken, two waiting in the queue, and the producer blocked on the next put.
    assert produced <= 3
    await items.aclose()


async def test_closing_the_consumer_early_stops_the_producer() -> None:
    stopped = asyncio.Event()

    async def fill(put: Put[int]) -> None:
        try:
            i = 0
            while True:
                await put(i)
                i += 1
        except asyncio.CancelledError:
            stopped.set()
            raise

    items = run_ahead(fill, 1)
    assert await anext(items) == 0
    await items.aclose()
    assert stopped.is_set()
