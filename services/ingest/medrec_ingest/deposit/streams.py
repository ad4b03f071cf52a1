"""Reading a request body ahead of where it is consumed, within a bound, so that receiving the
next bytes overlaps sending the last ones onwards (an S3 part upload does not stall the client)."""

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import TypeVar, cast

MiB = 1024 * 1024


T = TypeVar("T")
Put = Callable[[T], Awaitable[None]]


class _Failed:
    def __init__(self, error: Exception) -> None:
        self.error = error


_END = object()


async def run_ahead(fill: Callable[[Put[T]], Awaitable[None]], ahead: int) -> AsyncGenerator[T]:
    """What `fill` puts, produced by a task of its own at most `ahead` items before the
    consumer. An error in `fill` is raised here after the items put before it; closing the
    generator early stops `fill`."""
    queue: asyncio.Queue[object] = asyncio.Queue(maxsize=ahead)

    async def pump() -> None:
        try:
            await fill(queue.put)
            await queue.put(_END)
        except Exception as exc:
            await queue.put(_Failed(exc))

    task = asyncio.create_task(pump())
    try:
        while (item := await queue.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            yield cast(T, item)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def read_ahead(
    source: AsyncIterator[bytes], *, block: int = MiB, blocks: int = 2
) -> AsyncGenerator[bytes]:
    """`source` regrouped into pieces of at least `block` bytes (the last one shorter), read by
    a task of its own up to `blocks` pieces ahead of the consumer. Memory: about (blocks + 1) x
    block. An error raised by `source` is raised here, after the pieces read before it."""

    async def fill(put: Put[bytes]) -> None:
        # A list joined once copies each byte once; a bytearray grown and then copied out to
        # bytes copied it twice (11% of ingest's CPU on a 1 GiB upload, py-spy).
        pending: list[bytes] = []
        size = 0
        async for chunk in source:
            pending.append(chunk)
            size += len(chunk)
            if size >= block:
                await put(b"".join(pending))
                pending, size = [], 0
        if pending:
            await put(b"".join(pending))

    return run_ahead(fill, blocks)  # closing it stops the reading task at once
