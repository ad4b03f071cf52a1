"""A QR code of an `otpauth://` URI (a staff person's TOTP secret) drawn on the server as an
inline SVG: the secret never leaves for a QR service, no script draws it, and the page's CSP
(no inline style, images only from the console) has nothing to allow. The SVG carries only
paths and presentation attributes, and is labelled for screen readers."""

import html

import segno

LABEL = "인증 앱 등록 QR 코드"


def qr_svg(data: str, *, label: str = LABEL, scale: int = 5) -> str:
    """The SVG element (markup to put in the page as it is): error correction M, a quiet zone
    of four modules as RFC 6238 apps expect to scan."""
    code = segno.make(data, error="m", micro=False)
    svg = code.svg_inline(scale=scale, border=4, dark="#000", light="#fff", omitsize=False)
    return svg.replace(
        "<svg ", f'<svg role="img" aria-label="{html.escape(label, quote=True)}" ', 1
    )
