"""The headers every console answer carries, and its session cookie.

The middleware is the front doors' shared one (medrec_shared.platform.frontdoor.security); what is
the console's is said here. The cookie is SameSite=Strict (the console is never entered from a
link elsewhere with a session that matters) and named `__Host-…` outside the local stack
(ConsoleSettings). A presented id is adopted only when this console issued it
(`state["console_presented"]` says whether one was); a page that rotates the id (signing in or
out) puts the new one in `scope["state"]["console_sid"]` and the answer carries it. Pictures may
be `data:` (a proxy request's documents, rendered to PNG on the server and put in the page)."""

from medrec_shared.platform.frontdoor.security import (
    FrontDoorHeadersMiddleware,
    content_security_policy,
)

__all__ = ["ConsoleHeadersMiddleware", "content_security_policy"]


class ConsoleHeadersMiddleware(FrontDoorHeadersMiddleware):
    same_site = "Strict"
    sid_key = "console_sid"
    presented_key = "console_presented"
