"""A proxy request's documents become PNG pictures the console made: every page of a PDF (up to
the cap), an image re-encoded and scaled to the page's width, and anything else (a file that
only claims to be a PDF or a picture, an image too big to decode) refused, never passed on."""

import io

import pytest
from fpdf import FPDF
from PIL import Image

from medrec_console.pictures import MAX_WIDTH, Unrenderable, render_sync

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def pdf(pages: int) -> bytes:
    document = FPDF()
    for n in range(pages):
        document.add_page()
        document.set_font("helvetica", size=16)
        document.cell(0, 10, f"page {n + 1}")
    return bytes(document.output())


def image(kind: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, format=kind)
    return out.getvalue()


def test_every_page_of_a_pdf_becomes_a_png() -> None:
    rendered = render_sync("application/pdf", pdf(3), max_pages=20)
    assert rendered.total_pages == 3 and len(rendered.pictures) == 3
    for picture in rendered.pictures:
        assert picture.png.startswith(PNG_MAGIC)
        assert 0 < picture.width <= MAX_WIDTH and picture.height > picture.width  # A4, upright
        assert picture.data_url.startswith("data:image/png;base64,")


def test_a_long_pdf_is_shown_up_to_the_cap_and_says_how_many_pages_it_has() -> None:
    rendered = render_sync("application/pdf", pdf(5), max_pages=2)
    assert rendered.total_pages == 5 and len(rendered.pictures) == 2


@pytest.mark.parametrize("kind", ["JPEG", "PNG"])
def test_an_image_is_re_encoded_to_png_no_wider_than_the_page(kind: str) -> None:
    rendered = render_sync(f"image/{kind.lower()}", image(kind, (3000, 1500)), max_pages=20)
    (picture,) = rendered.pictures
    assert picture.png.startswith(PNG_MAGIC)
    assert (picture.width, picture.height) == (MAX_WIDTH, 600)


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("application/pdf", b"%PDF-1.4 not really a pdf"),
        ("image/png", PNG_MAGIC + b" not really a picture"),
        ("image/jpeg", b"\xff\xd8\xff" + b"\x00" * 64),
        ("text/html", b"<script>alert(1)</script>"),
    ],
)
def test_what_cannot_be_drawn_is_refused(content_type: str, content: bytes) -> None:
    with pytest.raises(Unrenderable):
        render_sync(content_type, content, max_pages=20)


def test_an_image_too_big_to_decode_is_refused_before_decoding() -> None:
    with pytest.raises(Unrenderable):
        render_sync("image/png", image("PNG", (8000, 6000)), max_pages=20)
