"""`in_order`: an async map that works on the next items while earlier results wait to be
taken, and gives the results in order. A batch deposits its next group while the group before
it is stored and committed, so ingest's CPU and the object store's overlap.

Items are read by a task of its own, so a result is given as soon as it is ready, never held
back until the next item arrives (a client may wait for its answers before it sends more). An
error reading the items is raised in its turn, after the results of the items before it.
"""

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

_END = object()


async def in_order(
    items: AsyncIterator[Item], work: Callable[[Item], Awaitable[Result]], at_once: int
) -> AsyncGenerator[Result, None]:
    """``work(item)`` for each item, at most ``at_once`` running, the results in order. On an
    error (or when the caller stops early) the reading stops, and the work still running is
    cancelled and waited for."""
    queue: asyncio.Queue[asyncio.Future[Result] | BaseException | object] = asyncio.Queue()
    slots = asyncio.Semaphore(at_once)

    async def read() -> None:
        try:
            async for item in items:
                await slots.acquire()
                queue.put_nowait(asyncio.ensure_future(work(item)))
        except Exception as exc:
            queue.put_nowait(exc)
        else:
            queue.put_nowait(_END)

    reader = asyncio.ensure_future(read())
    try:
        while (next_one := await queue.get()) is not _END:
            if isinstance(next_one, BaseException):
                raise next_one
            assert isinstance(next_one, asyncio.Future)
            try:
                result = await next_one
            finally:
                slots.release()
            yield result
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        running = []
        while not queue.empty():
            if isinstance(left := queue.get_nowait(), asyncio.Future):
                left.cancel()
                running.append(left)
        await asyncio.gather(*running, return_exceptions=True)
