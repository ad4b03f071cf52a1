"""Reading a request body ahead of where it is consumed, within a bound, so that receiving the
next bytes overlaps sending the last ones onwards (an S3 part upload does not stall the client)."""

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator

MiB = 1024 * 1024


async def read_ahead(
    source: AsyncIterator[bytes], *, block: int = MiB, blocks: int = 2
) -> AsyncGenerator[bytes]:
    """`source` regrouped into pieces of `block` bytes (the last one shorter), read by a task of
    its own up to `blocks` pieces ahead of the consumer. Memory: about (blocks + 1) x block.
    An error raised by `source` is raised here, after the pieces read before it."""
    queue: asyncio.Queue[bytes | Exception | None] = asyncio.Queue(maxsize=blocks)

    async def pump() -> None:
        pending = bytearray()
        try:
            async for chunk in source:
                pending += chunk
                if len(pending) >= block:
                    await queue.put(bytes(pending))
                    pending.clear()
            if pending:
                await queue.put(bytes(pending))
            await queue.put(None)
        except Exception as exc:
            await queue.put(exc)

    task = asyncio.create_task(pump())
    try:
        while True:
            item = await queue.get()
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
