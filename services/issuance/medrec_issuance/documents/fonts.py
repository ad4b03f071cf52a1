"""The embedded fonts: NanumGothic (shipped in the koreanize-matplotlib wheel) for the text, and
Noto Sans (the fontpkg-noto-sans wheel) as fpdf2's fallback for the characters NanumGothic lacks
(MICRO SIGN µ, HYPHENATION POINT ‧, Latin letters such as Đ, Greek and Cyrillic beyond its own):
those are shown as themselves, in a face that has them, not as a look-alike."""

from __future__ import annotations

import logging
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Final

from fontpkg_noto_sans import ROOT as NOTO_SANS_ROOT
from fpdf import FPDF
from fpdf.fonts import CoreFont, TTFFont

FONT: Final = "NanumGothic"
_FILES: Final = {"": "NanumGothic.ttf", "B": "NanumGothicBold.ttf"}
FALLBACK: Final = "NotoSans"
# A variable face whose default instance is the regular weight; bold text falls back to it too
# (a few characters in a bold line, rather than a second face parsed for every copy).
_FALLBACK_FILE: Final = NOTO_SANS_ROOT / "files" / "NotoSans[wdth,wght].ttf"
_LAYOUT_TABLES: Final = ("GDEF", "GSUB", "GPOS")

# fontTools reports each hinting table it drops while subsetting NanumGothic (TSI0…TSI5): noise.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)


@cache
def font_path(style: str = "") -> Path:
    """Filesystem path of the regular (``""``) or bold (``"B"``) face.

    Found through the package's import spec rather than ``importlib.resources.files``, which
    would import koreanize_matplotlib and with it matplotlib.
    """
    spec = find_spec("koreanize_matplotlib")
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = Path(location, "fonts", _FILES[style])
        if path.is_file():
            return path
    raise FileNotFoundError(f"Korean font {_FILES[style]} not found in koreanize_matplotlib")


#: Faces parsed ahead by `prepare_fonts`, for the next document only.
_prepared: dict[str, CoreFont | TTFFont] | None = None


def prepare_fonts() -> None:
    """Parse NanumGothic now (0.4 to 0.7 s), before the copy is asked for, so that the next
    `register_fonts` takes the parsed faces instead of parsing them again. They serve one
    document: fontTools subsets a parsed font in place when the document is written, which is
    why a confined child (one copy) can use them and a long-lived process cannot keep them."""
    global _prepared
    holder = FPDF()
    register_fonts(holder)
    _prepared = dict(holder.fonts)


def register_fonts(pdf: FPDF) -> None:
    """Add NanumGothic regular and bold and the Noto Sans fallback to ``pdf`` (embedded as
    subsets on output, the fallback only if a character needed it): the faces `prepare_fonts`
    parsed, once, when ``pdf`` has no fonts yet (their numbers are then the same as `add_font`
    would give them), else parsed now."""
    global _prepared
    prepared, _prepared = _prepared, None
    if prepared is not None and not pdf.fonts:
        pdf.fonts.update(prepared)
    else:
        _add_faces(pdf)
    pdf.set_fallback_fonts([FALLBACK], exact_match=False)


def _add_faces(pdf: FPDF) -> None:
    for style in _FILES:
        pdf.add_font(FONT, style, font_path(style))
    pdf.add_font(FALLBACK, "", _FALLBACK_FILE)
    for font in pdf.fonts.values():
        if isinstance(font, TTFFont):
            # The subset keeps each glyph's bytes as they are: recomputing every used glyph's
            # bounding box on output decoded and re-encoded each of them (fontTools' glyf
            # compile, 1.5 s of 8.9 s under cProfile). The face's own bounds (head, hhea, maxp)
            # stay those of the whole face, which contain the subset's.
            font.ttfont.recalcBBoxes = False
            # fpdf2's subsetting drops these layout tables (it draws no shaped text here), but
            # fontTools reads each of them first to see whether it needs converting: 0.02 s a
            # face on every copy. Gone before the subset, they cost nothing; the subset is the
            # same.
            for tag in _LAYOUT_TABLES:
                if tag in font.ttfont:
                    del font.ttfont[tag]
