"""The headers every portal answer carries, and its session cookie.

The middleware is the front doors' shared one (medrec_shared.platform.frontdoor.security); what is
the portal's is said here. The cookie is SameSite=Lax, not the console's Strict (a citizen who
follows a link to the portal arrives with their session), and named `__Host-…` outside the local
stack (PortalSettings). A presented id is adopted only when this portal issued it; a page that
rotates the id (signing in or out) puts the new one in `scope["state"]["portal_sid"]` and the
answer carries it."""

from medrec_shared.platform.frontdoor.security import (
    FrontDoorHeadersMiddleware,
    content_security_policy,
)

__all__ = ["PortalHeadersMiddleware", "content_security_policy"]


class PortalHeadersMiddleware(FrontDoorHeadersMiddleware):
    same_site = "Lax"
    sid_key = "portal_sid"
