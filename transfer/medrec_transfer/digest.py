"""Content digests: hex SHA-256 for the declaration, RFC 9530 `Content-Digest` for the stream;
files are read in fixed-size chunks, so any size hashes and streams in constant memory."""

import base64
import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio

CHUNK = 1024 * 1024


def content_digest(sha256_hex: str) -> str:
    """`Content-Digest: sha-256=:<base64>:` for a hex SHA-256."""
    return f"sha-256=:{base64.b64encode(bytes.fromhex(sha256_hex)).decode()}:"


def bytes_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_chunks(path: Path, chunk: int = CHUNK) -> Iterator[bytes]:
    with path.open("rb") as f:
        while block := f.read(chunk):
            yield block


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    for block in file_chunks(path):
        h.update(block)
    return h.hexdigest()


async def afile_sha256(path: Path) -> str:
    return await anyio.to_thread.run_sync(file_sha256, path)


async def afile_chunks(path: Path, chunk: int = CHUNK) -> AsyncIterator[bytes]:
    """The file's bytes, read off the event loop one chunk at a time."""
    f = await anyio.open_file(path, "rb")
    try:
        while block := await f.read(chunk):
            yield block
    finally:
        await f.aclose()
