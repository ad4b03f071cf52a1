"""The copy's fonts: a character NanumGothic lacks is drawn as itself from the fallback face."""

from __future__ import annotations

import io

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from medrec_issuance.documents.fonts import FALLBACK, FONT
from medrec_issuance.documents.layout import CopyPdf


def _pdf(text: str, style: str = "") -> bytes:
    pdf = CopyPdf("2026-0302-000123")
    pdf.add_page()
    pdf.set_font(FONT, style, size=10)
    pdf.multi_cell(0, 5, text)
    return bytes(pdf.output())


def _fonts(pdf: bytes) -> set[str]:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    resources = page["/Resources"]
    assert isinstance(resources, DictionaryObject)
    fonts = resources["/Font"]
    assert isinstance(fonts, DictionaryObject)
    return {str(font["/BaseFont"]) for font in fonts.values()}


def test_characters_nanumgothic_lacks_are_shown_as_themselves() -> None:
    for style in ("", "B"):
        pdf = _pdf("혈당 5µg/dL, 1‧2, Nguyễn Đức", style)
        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        assert "5µg/dL" in text and "1‧2" in text and "Đức" in text, text
        assert any(FALLBACK in name for name in _fonts(pdf))


def test_a_character_no_face_has_is_shown_by_its_look_alike() -> None:
    text = PdfReader(io.BytesIO(_pdf("1∙2"))).pages[0].extract_text()
    assert "1·2" in text, text


def test_the_fallback_face_is_embedded_only_when_a_character_needs_it() -> None:
    fonts = _fonts(_pdf("진료기록 사본 5 mg/dL"))
    assert not any(FALLBACK in name for name in fonts), fonts
