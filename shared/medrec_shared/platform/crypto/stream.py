"""The content stream: chunked AES-256-GCM for objects of any size, in constant memory.

Every content object gets its own data key (DEK,
:func:`~medrec_shared.platform.crypto.aead.new_data_key`); the DEK is wrapped by a key-encryption
key (KEK) from a :class:`~medrec_shared.platform.crypto.keyring.Keyring` and the wrapped DEK is
stored by the owning service, never next to the object.

Content format (STREAM construction, AES-256-GCM per chunk)::

    header  = b"MRC1" | version u8 (=1) | chunk_size u32 BE | nonce_prefix (7 random bytes)
    record  = AES-GCM(dek, nonce, chunk, aad=header) = ciphertext || 16-byte tag
    nonce   = nonce_prefix (7) || chunk index u32 BE (4) || last-chunk flag (1: 0x00 / 0x01)
    object  = header || record_0 || ... || record_n ; only record_n has the flag set
    records are chunk_size + 16 bytes except the last (16..chunk_size + 16); empty content is
    one empty final record.

The index in the nonce catches reordering, the last-chunk flag catches truncation and appended
data, the header as AAD catches header edits. A DEK must encrypt exactly one object.

Objects are kept for decades: this format must not change by a single byte
(tests/unit/test_stored_formats.py holds known answers written by it).
"""

import os
import struct
from collections.abc import AsyncIterable, AsyncIterator

from cryptography.exceptions import InvalidTag

from medrec_shared.platform.crypto.aead import TAG_SIZE, data_key_aead
from medrec_shared.platform.crypto.errors import DecryptionError

__all__ = [
    "CHUNK_SIZE",
    "HEADER_SIZE",
    "MAX_CHUNK_SIZE",
    "StreamDecryptor",
    "StreamEncryptor",
    "check_chunk_size",
    "decrypt_bytes",
    "decrypt_stream",
    "encrypt_bytes",
]

CHUNK_SIZE = 64 * 1024
# Header values are read before anything is authenticated: cap them so a forged header cannot make
# a decryptor buffer gigabytes.
MAX_CHUNK_SIZE = 16 * 1024 * 1024
_MAX_CHUNKS = 2**32  # the chunk index is a u32 in the nonce

_MAGIC = b"MRC1"
_VERSION = 1
_PREFIX_SIZE = 7
_HEADER = struct.Struct(">4sBI7s")
HEADER_SIZE = _HEADER.size  # 16


def check_chunk_size(chunk_size: int) -> None:
    """Refuse a chunk size the header cannot carry or a decryptor would not accept."""
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk_size must be in 1..{MAX_CHUNK_SIZE}")


class StreamEncryptor:
    """Incremental encryptor. Output = ``header() + update(...)... + finalize()``.

    Holds at most one chunk: a full chunk is kept back until more data arrives, because only then
    is it known not to be the last one.
    """

    def __init__(self, dek: bytes, chunk_size: int = CHUNK_SIZE) -> None:
        check_chunk_size(chunk_size)
        self._aead = data_key_aead(dek)
        self._chunk_size = chunk_size
        self._prefix = os.urandom(_PREFIX_SIZE)
        self._header = _HEADER.pack(_MAGIC, _VERSION, chunk_size, self._prefix)
        self._buf = bytearray()
        self._index = 0
        self._done = False

    def header(self) -> bytes:
        return self._header

    def _seal(self, chunk: bytes | bytearray | memoryview, final: bool) -> bytes:
        if self._index >= _MAX_CHUNKS:
            raise ValueError("content too large for this chunk size")
        nonce = self._prefix + struct.pack(">IB", self._index, 1 if final else 0)
        self._index += 1
        return self._aead.encrypt(nonce, chunk, self._header)

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        """Buffer ``data``; return the ciphertext of chunks now known to be non-final."""
        if self._done:
            raise ValueError("encryptor already finalized")
        cs = self._chunk_size
        view = memoryview(data).cast("B")
        out: list[bytes] = []
        pos = 0
        if self._buf:
            pos = min(cs - len(self._buf), len(view))
            self._buf += view[:pos]
            if pos == len(view):
                return b""
            out.append(self._seal(self._buf, final=False))
            self._buf.clear()
        # Strictly more than a chunk left: this chunk is not the last one.
        while len(view) - pos > cs:
            out.append(self._seal(view[pos : pos + cs], final=False))
            pos += cs
        self._buf += view[pos:]
        return b"".join(out)

    def bound(self, size: int) -> int:
        """The most `update_into` writes for `size` more bytes: the whole records they
        complete."""
        return (len(self._buf) + size) // self._chunk_size * (self._chunk_size + TAG_SIZE)

    def update_into(self, data: bytes | bytearray | memoryview, out: memoryview) -> int:
        """As `update`, but the records are sealed straight into `out` (at least
        `bound(len(data))` bytes long); returns how many bytes were written. A record no longer
        needs a copy of its own and a join into the caller's buffer (the streamed upload
        writes them into its S3 part)."""
        if self._done:
            raise ValueError("encryptor already finalized")
        cs = self._chunk_size
        rs = cs + TAG_SIZE
        view = memoryview(data).cast("B")
        pos = written = 0
        if self._buf:
            pos = min(cs - len(self._buf), len(view))
            self._buf += view[:pos]
            if pos == len(view):
                return 0
            self._seal_into(self._buf, out[:rs], final=False)
            written = rs
            self._buf.clear()
        while len(view) - pos > cs:
            self._seal_into(view[pos : pos + cs], out[written : written + rs], final=False)
            pos += cs
            written += rs
        self._buf += view[pos:]
        return written

    def _seal_into(self, chunk: bytearray | memoryview, out: memoryview, final: bool) -> None:
        if self._index >= _MAX_CHUNKS:
            raise ValueError("content too large for this chunk size")
        nonce = self._prefix + struct.pack(">IB", self._index, 1 if final else 0)
        self._index += 1
        self._aead.encrypt_into(nonce, chunk, self._header, out)

    def finalize(self) -> bytes:
        """Return the final record (possibly an empty chunk's tag only)."""
        if self._done:
            raise ValueError("encryptor already finalized")
        self._done = True
        out = self._seal(self._buf, final=True)
        self._buf.clear()
        return out


class StreamDecryptor:
    """Incremental decryptor; returns plaintext only of chunks that authenticated.

    Plaintext of earlier chunks is released before later tampering can be detected; consumers that
    need all-or-nothing must buffer or check a digest before acting on the content.
    """

    def __init__(self, dek: bytes) -> None:
        self._aead = data_key_aead(dek)
        self._buf = bytearray()
        self._header: bytes | None = None
        self._prefix = b""
        self._record_size = 0
        self._index = 0
        self._done = False

    def _fail(self) -> DecryptionError:
        # Poison the decryptor: no further output after any refusal.
        self._done = True
        self._buf.clear()
        return DecryptionError()

    def _read_header(self) -> None:
        magic, version, chunk_size, prefix = _HEADER.unpack(self._buf[:HEADER_SIZE])
        if magic != _MAGIC or version != _VERSION or not 1 <= chunk_size <= MAX_CHUNK_SIZE:
            raise self._fail()
        self._header = bytes(self._buf[:HEADER_SIZE])
        self._prefix = prefix
        self._record_size = chunk_size + TAG_SIZE
        del self._buf[:HEADER_SIZE]

    def _open(self, record: bytes | bytearray | memoryview, final: bool) -> bytes:
        if self._index >= _MAX_CHUNKS:
            raise self._fail()
        nonce = self._prefix + struct.pack(">IB", self._index, 1 if final else 0)
        try:
            out = self._aead.decrypt(nonce, record, self._header)
        except InvalidTag:
            raise self._fail() from None
        self._index += 1
        return out

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        if self._done:
            raise DecryptionError
        view = memoryview(data).cast("B")
        pos = 0
        if self._header is None:
            pos = min(HEADER_SIZE - len(self._buf), len(view))
            self._buf += view[:pos]
            view = view[pos:]
            pos = 0
            if len(self._buf) < HEADER_SIZE:
                return b""
            self._read_header()
        rs = self._record_size
        out: list[bytes] = []
        if self._buf:
            pos = min(rs - len(self._buf), len(view))
            self._buf += view[:pos]
            if pos == len(view):
                return b""
            out.append(self._open(self._buf, final=False))
            self._buf.clear()
        # A full record followed by more bytes cannot be the final one.
        while len(view) - pos > rs:
            out.append(self._open(view[pos : pos + rs], final=False))
            pos += rs
        self._buf += view[pos:]
        return b"".join(out)

    def finalize(self) -> bytes:
        """Authenticate the final record; refuses a stream that ended without one."""
        if self._done:
            raise DecryptionError
        if self._header is None or len(self._buf) < TAG_SIZE:
            raise self._fail()
        out = self._open(self._buf, final=True)
        self._done = True
        self._buf.clear()
        return out


async def decrypt_stream(source: AsyncIterable[bytes], dek: bytes) -> AsyncIterator[bytes]:
    """Decrypt an async stream chunk by chunk; raises :class:`DecryptionError` on refusal.

    Each yielded piece has authenticated, but tampering later in the object is only found after
    earlier pieces were yielded: verify a digest before treating the whole object as valid.
    """
    dec = StreamDecryptor(dek)
    async for data in source:
        out = dec.update(data)
        if out:
            yield out
    out = dec.finalize()
    if out:
        yield out


def encrypt_bytes(data: bytes, dek: bytes, chunk_size: int = CHUNK_SIZE) -> bytes:
    enc = StreamEncryptor(dek, chunk_size)
    return enc.header() + enc.update(data) + enc.finalize()


def decrypt_bytes(blob: bytes, dek: bytes) -> bytes:
    dec = StreamDecryptor(dek)
    return dec.update(blob) + dec.finalize()
