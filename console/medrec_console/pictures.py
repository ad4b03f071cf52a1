"""A proxy request's document as pictures for the reviewer's page: an image decoded and
re-encoded to PNG with Pillow, a PDF's pages rendered to PNG with PDFium (pypdfium2). The file
as uploaded never reaches the browser: whatever it carries besides its pixels (a script in a
PDF, a crafted image header, metadata) stays on the server, and the browser is given only PNGs
the console made, inline (`data:` URLs, which the CSP allows for pictures only).

Rendering is CPU work: it runs in a worker thread, one document at a time (PDFium is not
thread-safe), bounded in pixels and pages."""

import asyncio
import base64
import io
import threading
from dataclasses import dataclass

import pypdfium2
from PIL import Image

# Wide enough to read a scanned form at desktop width; a page is scaled down to it.
MAX_WIDTH = 1200
# An image bigger than this is refused rather than decoded (Pillow's bomb guard, tightened).
MAX_PIXELS = 40_000_000
_PDFIUM = threading.Lock()


class Unrenderable(Exception):
    """Not a picture or a PDF this console can draw (damaged, encrypted, or too big)."""


@dataclass(frozen=True)
class Picture:
    png: bytes
    width: int
    height: int

    @property
    def data_url(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode()


@dataclass(frozen=True)
class Rendered:
    pictures: list[Picture]
    total_pages: int  # a PDF's pages (more than the pictures when capped)


def _png(image: Image.Image) -> Picture:
    image = image.convert("RGB")
    if image.width > MAX_WIDTH:
        height = max(1, round(image.height * MAX_WIDTH / image.width))
        image = image.resize((MAX_WIDTH, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return Picture(out.getvalue(), image.width, image.height)


def _image(content: bytes) -> Rendered:
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise Unrenderable
            image.load()
            return Rendered([_png(image)], 1)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise Unrenderable from exc


def _pdf(content: bytes, max_pages: int) -> Rendered:
    with _PDFIUM:
        try:
            document = pypdfium2.PdfDocument(content)
        except pypdfium2.PdfiumError as exc:
            raise Unrenderable from exc
        try:
            total = len(document)
            pictures = []
            for index in range(min(total, max_pages)):
                page = document[index]
                try:
                    width_pt = page.get_width() or 1
                    scale = min(2.0, MAX_WIDTH / width_pt)
                    bitmap = page.render(scale=scale)
                    pictures.append(_png(bitmap.to_pil()))
                finally:
                    page.close()
            return Rendered(pictures, total)
        finally:
            document.close()


def render_sync(content_type: str, content: bytes, max_pages: int) -> Rendered:
    if content_type == "application/pdf" or content.startswith(b"%PDF-"):
        return _pdf(content, max_pages)
    if content_type.startswith("image/"):
        return _image(content)
    raise Unrenderable


async def render(content_type: str, content: bytes, max_pages: int) -> Rendered:
    """The document's pictures (PNG), rendered off the event loop."""
    return await asyncio.to_thread(render_sync, content_type, content, max_pages)
