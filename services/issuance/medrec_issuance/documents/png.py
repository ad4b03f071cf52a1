"""A PNG's compressed image data put in the copy as it is stored, when PDF can draw it unchanged.

PDF's FlateDecode with the PNG predictors (``/Predictor 15``) reads the concatenated IDAT data of
a non-interlaced 8-bit grey or RGB PNG as it is. fpdf2 instead decodes every pixel, hashes them
and compresses them again: for a 1200 x 1600 scan that was about 40 ms of a copy's CPU. The
pixels a reader sees are the same either way.

Only a PNG that Pillow would decode to those same pixels is taken: every chunk's CRC right, the
data inflating (Adler-32 checked) to exactly one filter byte (0 to 4) and one row of samples per
row, nothing after it. Anything else (palette, alpha, 16-bit, interlaced, an ICC profile or a
transparent colour, a damaged file) gets None, and the caller draws it through Pillow as before,
where a damaged file is refused as it always was. The data is inflated a piece at a time, so
this check holds no more than ``_PIECE`` bytes of pixels at once.
"""

from __future__ import annotations

import struct
import zlib
from typing import Final

from fpdf.image_datastructures import RasterImageInfo

_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_CHUNK_HEAD: Final = struct.Struct(">I4s")
_IHDR: Final = struct.Struct(">IIBBBBB")
#: Colour type → (samples per pixel, PDF colour space).
_COLOURS: Final = {0: (1, "DeviceGray"), 2: (3, "DeviceRGB")}
#: Chunks that change what fpdf2 would draw (an ICC profile it embeds; a transparent colour),
#: or that a grey or RGB image should not have: these go through Pillow.
_REFUSED: Final = frozenset({b"iCCP", b"tRNS", b"PLTE"})
_PIECE: Final = 1 << 20


def stored_png(content: bytes) -> RasterImageInfo | None:
    """fpdf2's description of ``content`` with its IDAT data as the image stream, or None when
    the PNG must be decoded (see the module's docstring)."""
    chunks = _chunks(content)
    if chunks is None or not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        return None
    header = chunks[0][1]
    if len(header) != _IHDR.size:
        return None
    width, height, depth, colour, compression, filtering, interlace = _IHDR.unpack(header)
    if depth != 8 or colour not in _COLOURS or (compression, filtering, interlace) != (0, 0, 0):
        return None
    kinds = [kind for kind, _ in chunks]
    if _REFUSED.intersection(kinds) or kinds.count(b"IHDR") != 1 or b"IDAT" not in kinds:
        return None
    first = kinds.index(b"IDAT")
    last = len(kinds) - 1 - kinds[::-1].index(b"IDAT")
    if any(kind != b"IDAT" for kind in kinds[first : last + 1]):  # IDAT chunks follow each other
        return None
    data = b"".join(body for _, body in chunks[first : last + 1])
    samples, space = _COLOURS[colour]
    if width == 0 or height == 0 or not _inflates_to_rows(data, 1 + width * samples, height):
        return None
    return RasterImageInfo(
        data=data,
        w=width,
        h=height,
        cs=space,
        iccp=None,
        dpn=samples,
        bpc=8,
        f="FlateDecode",
        inverted=False,
        dp=f"/Predictor 15 /Colors {samples} /Columns {width}",
    )


def _chunks(content: bytes) -> list[tuple[bytes, bytes]] | None:
    """Each chunk's type and data, or None when the file is not a PNG whose CRCs are right."""
    if not content.startswith(_SIGNATURE):
        return None
    chunks = []
    position = len(_SIGNATURE)
    while position < len(content):
        if position + _CHUNK_HEAD.size > len(content):
            return None
        length, kind = _CHUNK_HEAD.unpack_from(content, position)
        start = position + _CHUNK_HEAD.size
        end = start + length
        if end + 4 > len(content):
            return None
        body = content[start:end]
        if zlib.crc32(body, zlib.crc32(kind)) != int.from_bytes(content[end : end + 4], "big"):
            return None
        chunks.append((kind, body))
        position = end + 4
        if kind == b"IEND":
            return chunks if position == len(content) else None
    return None


def _inflates_to_rows(data: bytes, stride: int, rows: int) -> bool:
    """Whether ``data`` is one zlib stream of exactly ``rows`` rows of ``stride`` bytes, each
    starting with a PNG filter type (0 to 4)."""
    expected = stride * rows
    inflater = zlib.decompressobj()
    position = 0
    pending = data
    try:
        while True:
            piece = inflater.decompress(pending, _PIECE)
            pending = inflater.unconsumed_tail
            if max(piece[(-position) % stride :: stride], default=0) > 4:
                return False
            position += len(piece)
            if position > expected:
                return False
            if inflater.eof or (not piece and not pending):
                break
    except zlib.error:
        return False
    return inflater.eof and not inflater.unused_data and position == expected
