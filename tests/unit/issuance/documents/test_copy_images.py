"""A PNG record's data goes into the copy as it is stored when PDF can draw it so, and the copy
shows the same pixels Pillow decodes; any other PNG is decoded as before."""

from __future__ import annotations

import io
import random
import zlib

from PIL import Image
from pypdf import PdfReader

from medrec_issuance.documents.attachments import add_image_pages
from medrec_issuance.documents.layout import CopyPdf
from medrec_issuance.documents.png import stored_png


def _noisy(mode: str, size: tuple[int, int] = (64, 48)) -> Image.Image:
    """Pixels that make the PNG encoder use each of its row filters."""
    rng = random.Random(7)
    bands = len(mode)
    pixels = bytes(
        (x * 3 + y * 5 + rng.randrange(40)) % 256
        for y in range(size[1])
        for x in range(size[0])
        for _ in range(bands)
    )
    return Image.frombytes(mode, size, pixels)


def _png(image: Image.Image, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", **options)
    return out.getvalue()


def _interlaced(content: bytes) -> bytes:
    """``content`` with its header saying Adam7 (Pillow writes no interlaced PNG)."""
    header = bytearray(content[12:29])  # IHDR's type and 13 bytes of data
    header[-1] = 1
    crc = zlib.crc32(bytes(header)).to_bytes(4, "big")
    return content[:12] + bytes(header) + crc + content[33:]


def _copy_with(content: bytes) -> PdfReader:
    pdf = CopyPdf("2026-0302-000123")
    pdf.add_page()
    add_image_pages(pdf, content, "image/png", max_pixels=10_000_000, position=1)
    return PdfReader(io.BytesIO(bytes(pdf.output())))


def test_a_grey_or_rgb_png_is_drawn_from_its_stored_data_with_the_same_pixels() -> None:
    for mode in ("L", "RGB"):
        image = _noisy(mode)
        content = _png(image, optimize=True)
        assert stored_png(content) is not None, mode
        drawn = _copy_with(content).pages[0].images[0].image
        assert drawn is not None
        assert drawn.mode == mode and drawn.tobytes() == image.tobytes(), mode


def test_pngs_pdf_cannot_draw_as_stored_are_decoded_as_before() -> None:
    noisy = _noisy("RGB")
    declined = {
        "palette": _png(noisy.convert("P")),
        "alpha": _png(noisy.convert("RGBA")),
        "interlaced": _interlaced(_png(noisy)),
        "16-bit": _png(_noisy("L").convert("I;16")),
        "ICC profile": _png(noisy, icc_profile=b"\0" * 128),
        "transparent colour": _png(noisy, transparency=(1, 2, 3)),
    }
    for why, content in declined.items():
        assert stored_png(content) is None, why
    assert _copy_with(declined["palette"]).pages[0].images  # still drawn, through Pillow


def test_a_damaged_png_is_not_taken_as_stored() -> None:
    content = bytearray(_png(_noisy("RGB")))
    content[60] ^= 0xFF  # inside the image data: its chunk's CRC no longer matches
    assert stored_png(bytes(content)) is None
    assert stored_png(_png(_noisy("RGB"))[:-20]) is None  # cut short
