"""NDJSON bodies as ingest reads them: lines numbered as the client counts them, an overlong line
dropped unread but answered, and groups cut when full or when the client pauses."""

import asyncio
from collections.abc import AsyncIterator, Iterable

import pytest

from medrec_ingest.deposit.ndjson import Line, grouped, read_lines


async def chunks(*pieces: bytes, pause: float = 0.0) -> AsyncIterator[bytes]:
    for piece in pieces:
        if pause:
            await asyncio.sleep(pause)
        yield piece


async def lines_of(pieces: Iterable[bytes], max_bytes: int = 100) -> list[Line]:
    return [line async for line in read_lines(chunks(*pieces), max_bytes)]


async def test_lines_are_numbered_from_one_counting_blank_lines() -> None:
    lines = await lines_of([b'{"a":1}\n\n  \n{"b":2}\n'])
    assert [(line.number, line.data) for line in lines] == [(1, b'{"a":1}'), (4, b'{"b":2}')]


async def test_a_line_split_across_chunks_is_read_whole() -> None:
    lines = await lines_of([b'{"a"', b":1", b'}\n{"b":2}'])
    assert [line.data for line in lines] == [b'{"a":1}', b'{"b":2}']


async def test_crlf_line_endings_are_dropped_and_a_last_line_needs_no_newline() -> None:
    lines = await lines_of([b"one\r\ntwo"])
    assert [(line.number, line.data, line.size) for line in lines] == [
        (1, b"one", 3),
        (2, b"two", 3),
    ]


async def test_an_overlong_line_is_reported_without_its_bytes_and_the_next_one_is_read() -> None:
    lines = await lines_of([b"x" * 6, b"x" * 6, b"\nok\n"], max_bytes=10)
    assert [(line.number, line.data, line.size) for line in lines] == [
        (1, None, 12),  # its length, without the line ending
        (2, b"ok", 2),
    ]


async def test_an_overlong_last_line_is_reported_too() -> None:
    lines = await lines_of([b"ok\n", b"y" * 20], max_bytes=10)
    assert [(line.number, line.data) for line in lines] == [(1, b"ok"), (2, None)]


async def collect(groups: AsyncIterator[list[Line]]) -> list[list[int]]:
    return [[line.number for line in group] async for group in groups]


async def test_groups_are_cut_at_the_line_limit() -> None:
    body = read_lines(chunks(b"a\nb\nc\nd\ne\n"), 100)
    groups = grouped(body, max_lines=2, max_bytes=1000, idle_seconds=5)
    assert await collect(groups) == [[1, 2], [3, 4], [5]]


async def test_groups_are_cut_at_the_byte_limit() -> None:
    body = read_lines(chunks(b"aaaa\nbbbb\ncc\n"), 100)
    groups = grouped(body, max_lines=100, max_bytes=8, idle_seconds=5)
    assert await collect(groups) == [[1, 2], [3]]


async def test_a_pause_of_the_client_answers_what_it_sent_so_far() -> None:
    async def slow() -> AsyncIterator[bytes]:
        yield b"a\nb\n"
        await asyncio.sleep(0.3)
        yield b"c\n"

    groups = grouped(read_lines(slow(), 100), max_lines=100, max_bytes=1000, idle_seconds=0.05)
    assert await collect(groups) == [[1, 2], [3]]


async def test_an_error_while_reading_comes_after_the_groups_read_before_it() -> None:
    async def dropped() -> AsyncIterator[bytes]:
        yield b"a\nb\n"
        raise ConnectionResetError

    groups = grouped(read_lines(dropped(), 100), max_lines=2, max_bytes=1000, idle_seconds=5)
    seen: list[list[int]] = []
    with pytest.raises(ConnectionResetError):
        async for group in groups:
            seen.append([line.number for line in group])
    assert seen == [[1, 2]]
