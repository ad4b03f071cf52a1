"""The TOTP QR code is drawn on the server as an SVG the page's CSP allows as it is: no script,
no style attribute, no external reference; labelled for a screen reader."""

import segno

from medrec_console.qrcodes import LABEL, qr_svg

URI = "otpauth://totp/medrec:kim.platform?secret=JBSWY3DPEHPK3PXP&issuer=medrec"


def test_the_qr_code_is_an_inline_svg_with_nothing_a_csp_would_refuse() -> None:
    svg = qr_svg(URI)
    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")
    assert f'role="img" aria-label="{LABEL}"' in svg
    for refused in ("<script", "style=", "href=", "<?xml", "<image"):
        assert refused not in svg, refused
    assert URI not in svg and "JBSWY3DPEHPK3PXP" not in svg  # the secret only as modules


def test_the_qr_code_is_the_uris_symbol_with_its_quiet_zone() -> None:
    symbol = segno.make(URI, error="m", micro=False)
    width, height = symbol.symbol_size(scale=5, border=4)
    assert f'width="{width}" height="{height}"' in qr_svg(URI, scale=5)
    other = qr_svg(URI.replace("JBSWY3DPEHPK3PXP", "KRSXG5CTMVRXEZLU"))
    assert other != qr_svg(URI), "another secret, another picture"
