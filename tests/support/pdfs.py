"""An issued PDF as its readers meet it: its text as a PDF reader extracts it (Poppler's
pdftotext, installed with apt when missing, as tests/support/browser.py installs Chromium), and
the QR codes a phone reads off its printed pages (each page rasterised by PDFium, the codes
decoded by zxing-cpp)."""

import os
import shutil
import subprocess
from pathlib import Path

import pypdfium2
import zxingcpp

PDFTOTEXT = Path("/usr/bin/pdftotext")
RENDER_SCALE = 3  # 216 dpi: a footer's QR code reads as it would from paper


def ensure_pdftotext() -> Path:
    """Debian's poppler-utils, installed with apt on a fresh machine (CI starts from one)."""
    if PDFTOTEXT.exists():
        return PDFTOTEXT
    apt = shutil.which("apt-get")
    if apt is None:
        raise RuntimeError("no /usr/bin/pdftotext and no apt-get to install it")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    subprocess.run([*sudo, apt, "update"], check=True, env=env, capture_output=True)
    subprocess.run(
        [*sudo, apt, "install", "-y", "poppler-utils"], check=True, env=env, capture_output=True
    )
    if not PDFTOTEXT.exists():
        raise RuntimeError("apt-get installed poppler-utils but /usr/bin/pdftotext is missing")
    return PDFTOTEXT


def pdf_text(pdf: bytes) -> str:
    """The text of every page in reading order, as pdftotext gives it to a reader."""
    done = subprocess.run(
        [str(ensure_pdftotext()), "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout.decode()


def squeezed(text: str) -> str:
    """Without white space: a form's title may be set with its letters spaced out
    (진 료 확 인 서), a name wrapped in a narrow cell."""
    return "".join(text.split())


def qr_codes(pdf: bytes, page: int = 0) -> list[str]:
    """The QR codes read off one page as printed."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[page].render(scale=RENDER_SCALE).to_pil()
    finally:
        document.close()
    return [
        code.text
        for code in zxingcpp.read_barcodes(image)
        if code.format == zxingcpp.BarcodeFormat.QRCode
    ]


def save_first_page(pdf: bytes, path: Path) -> None:
    """Page 1 as a PNG, as a reader sees it (docs/screenshots/document-<type>.png)."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        document[0].render(scale=1.6).to_pil().save(path, optimize=True)
    finally:
        document.close()


def page_count(pdf: bytes) -> int:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()
