"""Reading ahead within a bound: pieces regrouped to a block size, errors after the pieces read
before them, and a consumer that stops early stops the reader."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from medrec_ingest.deposit.streams import Put, read_ahead, run_ahead


async def source(*pieces: bytes) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


async def test_pieces_are_regrouped_into_blocks_with_a_shorter_last_one() -> None:
    out = [p async for p in read_ahead(source(b"abc", b"defgh", b"ij"), block=4, blocks=2)]
    assert out == [b"abcdefgh", b"ij"]
    assert b"".join(out) == b"abcdefghij"


async def test_an_empty_source_gives_nothing() -> None:
    assert [p async for p in read_ahead(source(), block=4)] == []


async def test_an_error_of_the_source_comes_after_the_pieces_read_before_it() -> None:
    async def failing() -> AsyncIterator[bytes]:
        yield b"abcd"
        raise ConnectionResetError

    seen = []
    with pytest.raises(ConnectionResetError):
        async for piece in read_ahead(failing(), block=4):
            seen.append(piece)
    assert seen == [b"abcd"]


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
