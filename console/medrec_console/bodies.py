"""How much the console takes in a request body, bounded while it arrives
(medrec_shared.platform.bodylimits) before anything parses it: 64 KiB for every form (the
console takes no uploads). A body over the bound is refused 413 with a Korean page, nothing more
of it read."""

from typing import Any

from starlette.requests import Request
from starlette.types import Scope, Send

from medrec_console import messages
from medrec_console.web import bare_page

FORM_MAX_BYTES = 64 * 1024


async def refuse_too_large(scope: Scope, send: Send, limit: int) -> None:
    """The Korean 413 page, sent before the body is read (the body-limit middleware closes the
    connection after it). Rendered as every problem page is, outside any session."""
    request: Request = Request(scope)
    response: Any = bare_page(request, 413, messages.PROBLEMS["content-too-large"])
    response.headers["Connection"] = "close"
    await response(scope, _no_body, send)


async def _no_body() -> dict[str, Any]:
    return {"type": "http.disconnect"}
