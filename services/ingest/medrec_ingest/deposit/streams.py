"""Producing ahead of where items are consumed, within a bound: the batch reads its next lines
while the last group is stored (ndjson.py)."""

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TypeVar, cast

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
