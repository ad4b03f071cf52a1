"""How much each page takes in a request body, bounded while it arrives
(medrec_shared.platform.bodylimits) before anything parses it: 64 KiB for every form, and the two
uploads the size issuance takes for them (the same numbers, medrec_issuance.bodies), so the portal
never reads what issuance would refuse. A body over its route's bound is refused 413 with a Korean
page, nothing more of it read: at once when its Content-Length says so, else at the chunk that
crosses it."""

from typing import Any

from starlette.requests import Request
from starlette.types import Scope, Send

from medrec_portal import messages
from medrec_portal.pages.proxy import DOCUMENTS
from medrec_portal.settings import PortalSettings
from medrec_portal.web import bare_page
from medrec_shared.platform.bodylimits import BodyLimits

FORM_MAX_BYTES = 64 * 1024
# Multipart boundaries, the parts' headers and the text fields around the files (issuance's).
FORM_ALLOWANCE = 64 * 1024


def body_limits(settings: PortalSettings) -> BodyLimits:
    return {
        ("POST", "/verify"): settings.verify_upload_max_bytes + FORM_ALLOWANCE,
        ("POST", "/proxy"): len(DOCUMENTS) * settings.proxy_document_max_bytes + FORM_ALLOWANCE,
    }


async def refuse_too_large(scope: Scope, send: Send, limit: int) -> None:
    """The Korean 413 page, sent before the body is read (the body-limit middleware closes the
    connection after it). Rendered as every problem page is, outside any session."""
    request: Request = Request(scope)
    response: Any = bare_page(request, 413, messages.PROBLEMS["content-too-large"])
    response.headers["Connection"] = "close"
    await response(scope, _no_body, send)


async def _no_body() -> dict[str, Any]:
    return {"type": "http.disconnect"}
