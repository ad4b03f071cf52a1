"""NDJSON request bodies, read as they arrive: lines of bounded length, gathered into groups
that are answered as soon as they are full or the client pauses."""

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

from medrec_ingest.deposit.streams import Put, run_ahead


@dataclass(frozen=True, slots=True)
class Line:
    number: int  # from 1, counting every line of the body (blank ones too)
    data: bytes | None  # None: longer than allowed; its bytes were dropped unread
    size: int


async def read_lines(chunks: AsyncIterator[bytes], max_bytes: int) -> AsyncGenerator[Line]:
    """Non-blank lines without their line ending. Memory: one line of at most `max_bytes`; a
    longer line is skipped as it streams and reported with `data=None`."""
    buf = bytearray()
    number = 0
    overflow = 0  # bytes of the current line beyond the limit, dropped

    def finish(end: bytes) -> Line | None:
        nonlocal overflow
        done: Line | None
        if overflow:
            done = Line(number, None, len(buf) + overflow + len(end))
        else:
            buf.extend(end)
            if buf.endswith(b"\r"):
                del buf[-1:]
            done = Line(number, bytes(buf), len(buf)) if buf.strip() else None
        buf.clear()
        overflow = 0
        return done

    async for chunk in chunks:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                rest = chunk[start:]
                if overflow or len(buf) + len(rest) > max_bytes:
                    overflow += len(buf) + len(rest)
                    buf.clear()
                else:
                    buf += rest
                break
            number += 1
            piece = chunk[start:end]
            if not overflow and len(buf) + len(piece) > max_bytes:
                overflow, piece = len(buf) + len(piece), b""
                buf.clear()
            line = finish(piece)
            if line is not None:
                yield line
            start = end + 1
    if buf or overflow:
        number += 1
        line = finish(b"")
        if line is not None:
            yield line


def grouped(
    lines: AsyncIterator[Line], *, max_lines: int, max_bytes: int, idle_seconds: float
) -> AsyncGenerator[list[Line]]:
    """Groups of lines, cut when full (`max_lines`, `max_bytes`) or when no line arrived for
    `idle_seconds`. Reading runs ahead by at most one group while the caller works on one, so
    memory stays at about three groups. An error while reading (a dropped connection) is
    raised after the groups read before it."""

    async def fill(put: Put[list[Line]]) -> None:
        group: list[Line] = []
        size = 0
        iterator = aiter(lines)
        pending: asyncio.Future[Any] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(anext(iterator))
                done, _ = await asyncio.wait({pending}, timeout=idle_seconds if group else None)
                if not done:  # the client paused: answer what it sent so far
                    await put(group)
                    group, size = [], 0
                    continue
                finished, pending = pending, None
                try:
                    line: Line = finished.result()
                except StopAsyncIteration:
                    break
                group.append(line)
                size += line.size
                if len(group) >= max_lines or size >= max_bytes:
                    await put(group)
                    group, size = [], 0
            if group:
                await put(group)
        finally:
            if pending is not None:
                pending.cancel()

    return run_ahead(fill, 1)  # closing it stops the reading task at once
