"""Segments: the content of several records in one object, for records that arrive together
(a batch's group). An object per record costs the store far more than its bytes do.

Format::

    segment = content_0 || content_1 || ... || content_n
    content_i = a whole content stream (stream.py) under record i's own data key
    span_i  = (offset, length) of content_i in the segment, kept with record i's row

Nothing else is in a segment: no index, no padding. A span decrypts alone, and no byte of it
depends on its neighbours or its place, so a compaction copies spans into a new segment as they
are, and destroying a record is destroying its data key (the bytes left behind are noise to
anyone without it). A span moved onto another record's key fails to decrypt.

Segments are kept for decades like any content object: this layout must not change
(tests/unit/test_stored_formats.py holds a known segment).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from medrec_shared.platform.crypto.stream import encrypt_bytes


@dataclass(frozen=True, slots=True)
class Span:
    offset: int
    length: int


def pack(contents: Iterable[tuple[bytes, bytes]]) -> tuple[bytes, list[Span]]:
    """The segment of these ``(data key, plaintext)`` pairs, and each one's span, in order."""
    return concatenate(encrypt_bytes(plaintext, dek) for dek, plaintext in contents)


def concatenate(pieces: Iterable[bytes]) -> tuple[bytes, list[Span]]:
    """A segment of these content streams as they are, and each one's span, in order (`pack`,
    and a compaction copying spans)."""
    listed = list(pieces)
    spans, offset = [], 0
    for piece in listed:
        spans.append(Span(offset, len(piece)))
        offset += len(piece)
    return b"".join(listed), spans
