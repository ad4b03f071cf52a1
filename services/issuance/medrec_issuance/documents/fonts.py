"""The embedded Korean font: NanumGothic, shipped in the koreanize-matplotlib wheel."""

from __future__ import annotations

import logging
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Final

from fpdf import FPDF

FONT: Final = "NanumGothic"
_FILES: Final = {"": "NanumGothic.ttf", "B": "NanumGothicBold.ttf"}

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


def register_fonts(pdf: FPDF) -> None:
    """Add NanumGothic regular and bold to ``pdf`` (embedded as subsets on output)."""
    for style in _FILES:
        pdf.add_font(FONT, style, font_path(style))
