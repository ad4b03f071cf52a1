"""Records included as they are: PDF pages, images, and a listing for everything else.

A PDF record gets one A4 page per source page in the fpdf document: header, footer and an
empty frame. After fpdf has written its part, ``merge_pdf_pages`` draws each source page into its
frame as a form XObject (scaled to fit, rotation applied, clipped to the page's crop box), so that
page numbers and order are right from the start and no annotation or form field of the source
comes along.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, cast

from fpdf.enums import Align
from PIL import Image, ImageSequence
from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
)

from .fonts import FONT
from .layout import GREY, TABLE_SIZE, CopyPdf
from .limits import OverLimit, image_too_large
from .models import RecordDocument
from .png import stored_png

logger = logging.getLogger(__name__)

PT_PER_MM: Final = 72 / 25.4
IMAGE_MODES: Final = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "CMYK"})
FOOTER_SPACE: Final = 16.0


@dataclass(frozen=True, slots=True)
class PagePlacement:
    """Source page ``source_page`` of ``reader`` goes into ``box`` (mm, top-left) on ``page``."""

    page: int  # 1-based page number in the fpdf document
    reader: PdfReader
    source_page: int
    box: tuple[float, float, float, float]  # x, y, w, h


def open_pdf(content: bytes) -> PdfReader | None:
    """A reader for a PDF record, or None when it cannot be included (broken, encrypted, empty)."""
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return None
        if len(reader.pages) == 0:
            return None
        return reader
    except MemoryError:
        raise
    except Exception as exc:  # only the type: a parser's message may quote the content
        logger.warning("PDF record could not be opened: %s", type(exc).__name__)
        return None


def _frame(pdf: CopyPdf, caption: str) -> tuple[float, float, float, float]:
    """Caption and frame filling the rest of the page; returns the box inside the frame."""
    pdf.set_font(FONT, size=7.5)
    pdf.set_text_color(*GREY)
    pdf.cell(0, 4, caption, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    top = pdf.get_y() + 1
    height = pdf.h - FOOTER_SPACE - top
    pdf.set_draw_color(180, 180, 180)
    pdf.rect(pdf.l_margin, top, pdf.epw, height)
    pad = 1.5
    return (pdf.l_margin + pad, top + pad, pdf.epw - 2 * pad, height - 2 * pad)


def add_pdf_pages(pdf: CopyPdf, reader: PdfReader) -> list[PagePlacement]:
    """One framed page per source page, the first on the record's current (header) page."""
    placements: list[PagePlacement] = []
    count = len(reader.pages)
    for index in range(count):
        if index > 0:
            pdf.add_page()
        box = _frame(pdf, f"원본 PDF {index + 1} / {count}쪽")
        placements.append(PagePlacement(pdf.page, reader, index, box))
    return placements


def _embeddable(frame: Image.Image) -> Image.Image:
    # No copy of a frame fpdf can take as it is: fpdf reads it at once, and a copy would hold a
    # second decoded image in memory.
    if frame.mode in IMAGE_MODES:
        return frame
    return frame.convert("L" if frame.mode.startswith(("I", "F")) else "RGB")


def _check_pixels(frame: Image.Image, max_pixels: int, position: int) -> None:
    """Read from the header: a frame is refused before it is decoded."""
    px_w, px_h = frame.size
    if px_w * px_h > max_pixels:
        raise OverLimit(image_too_large(position, max_pixels))


def add_image_pages(
    pdf: CopyPdf, content: bytes, media_type: str, *, max_pixels: int, position: int
) -> None:
    """One page per frame (the first on the record's header page), scaled to fit its frame.

    A JPEG is embedded as it is (no re-encoding), and so is a PNG whose data PDF can draw as it
    is stored (`png.stored_png`); other images are decoded one frame at a time, each only after
    its size is checked against ``max_pixels`` (`OverLimit`). Raises something
    else (before adding any page) when the image cannot be opened.
    """
    try:
        opened = Image.open(io.BytesIO(content))
    except Image.DecompressionBombError:  # beyond Pillow's own bound, far beyond ours
        raise OverLimit(image_too_large(position, max_pixels)) from None
    with opened as image:
        _check_pixels(image, max_pixels, position)
        count = getattr(image, "n_frames", 1)
        if media_type == "image/jpeg":
            frames: Iterable[Image.Image] = [image]
        else:
            frames = ImageSequence.Iterator(image)
        for index, frame in enumerate(frames):
            _check_pixels(frame, max_pixels, position)
            if index > 0:
                pdf.add_page()
            caption = f"원본 이미지 {index + 1} / {count}" if count > 1 else "원본 이미지"
            _, y, w, h = _frame(pdf, caption)
            px_w, px_h = frame.size
            scale = min(w / px_w, h / px_h)
            top = y + (h - px_h * scale) / 2
            stored = _stored(pdf, content) if media_type == "image/png" and count == 1 else None
            source: str | io.BytesIO | Image.Image
            if stored is not None:
                source = stored
            elif media_type == "image/jpeg":
                source = io.BytesIO(content)
            else:
                source = _embeddable(frame)
            pdf.image(source, x=Align.C, y=top, w=px_w * scale, h=px_h * scale)


def _stored(pdf: CopyPdf, content: bytes) -> str | None:
    """The name under which ``pdf`` draws this PNG's data as it is stored (`png.stored_png`),
    or None when it must be decoded. The same PNG twice is one image in the copy, as fpdf2
    makes it of the same pixels twice."""
    name = f"png-sha256:{hashlib.sha256(content).hexdigest()}"
    images = pdf.image_cache.images
    if name not in images:
        info = stored_png(content)
        if info is None:
            return None
        # As fpdf2's preload_image fills its cache: the next `image(name)` takes it from there.
        info.update({"i": len(images) + 1, "usages": 0, "iccp_i": None})
        images[name] = info
    return name


def _size_text(size: int) -> str:
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= factor:
            return f"{size:,} 바이트 ({size / factor:.1f} {unit})"
    return f"{size:,} 바이트"


def add_listing(pdf: CopyPdf, record: RecordDocument, reason: str) -> None:
    """What is known about content that is not rendered, on the record's (single) page: its
    stored size and SHA-256, so that the content itself is never needed."""
    digest = record.sha256
    pdf.section("첨부 원본")
    pdf.key_values(
        [
            ("콘텐츠 유형", record.content_type or "-"),
            ("크기", _size_text(record.size)),
            ("SHA-256", f"{digest[:32]}\n{digest[32:]}"),
        ]
    )
    pdf.ln(3)
    pdf.set_text_color(*GREY)
    pdf.text_block(reason, size=TABLE_SIZE)
    pdf.set_text_color(0, 0, 0)


def _form_xobject(writer: PdfWriter, placement: PagePlacement) -> tuple[object, Transformation]:
    source = placement.reader.pages[placement.source_page]
    box = source.cropbox
    left, bottom, right, top = (float(v) for v in (box.left, box.bottom, box.right, box.top))
    contents = source.get_contents()
    stream = DecodedStreamObject()
    stream.set_data(contents.get_data() if contents is not None else b"")
    resources = source.get("/Resources")
    stream.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(FloatObject(v) for v in (left, bottom, right, top)),
            NameObject("/Resources"): (
                resources.get_object().clone(writer)
                if resources is not None
                else DictionaryObject()
            ),
        }
    )
    ref = writer._add_object(stream.flate_encode())
    # Rotate clockwise by /Rotate, then fit the rotated crop box into the frame, centred.
    rotation = Transformation().rotate(-(source.rotation % 360))
    corners = [rotation.apply_on((x, y)) for x in (left, right) for y in (bottom, top)]
    min_x, min_y = min(c[0] for c in corners), min(c[1] for c in corners)
    width = max(c[0] for c in corners) - min_x
    height = max(c[1] for c in corners) - min_y
    bx, by, bw, bh = (v * PT_PER_MM for v in placement.box)
    page_height = float(writer.pages[placement.page - 1].mediabox.height)
    scale = min(bw / width, bh / height) if width > 0 and height > 0 else 1.0
    dx = bx + (bw - width * scale) / 2
    dy = page_height - by - bh + (bh - height * scale) / 2
    matrix = rotation.translate(-min_x, -min_y).scale(scale, scale).translate(dx, dy)
    return ref, matrix


def merge_pdf_pages(document: bytes, placements: Sequence[PagePlacement]) -> bytes:
    """Draw each placed source page under the fpdf content of its page."""
    writer = PdfWriter(clone_from=io.BytesIO(document))
    for number, placement in enumerate(placements):
        ref, matrix = _form_xobject(writer, placement)
        page = writer.pages[placement.page - 1]
        name = f"/MedrecSrc{number}"
        resources = cast(DictionaryObject, page["/Resources"].get_object())
        if "/XObject" not in resources:
            resources[NameObject("/XObject")] = DictionaryObject()
        cast(DictionaryObject, resources["/XObject"].get_object())[NameObject(name)] = ref
        a, b, c, d, e, f = matrix.ctm
        draw = DecodedStreamObject()
        draw.set_data(
            f"q {a:.6f} {b:.6f} {c:.6f} {d:.6f} {e:.4f} {f:.4f} cm {name} Do Q\n".encode()
        )
        draw_ref = writer._add_object(draw)
        existing = page["/Contents"]
        resolved = existing.get_object()
        existing_list = list(resolved) if isinstance(resolved, ArrayObject) else [existing]
        page[NameObject("/Contents")] = ArrayObject([draw_ref, *existing_list])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
