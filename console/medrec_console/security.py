"""The headers every answer carries, and the session cookie.

Pure ASGI (as medrec_shared.platform.web's middlewares) so a streamed PDF passes through untouched.
The cookie holds only the opaque session id: HttpOnly, SameSite=Strict (the console is never
entered from a link elsewhere with a session that matters), Path=/, no Domain, Secure unless the
local stack turns it off (and named `__Host-…` outside it, ConsoleSettings). A request without a
cookie, or with an id this console never issued (SessionIds: a planted one), is given a fresh id,
which is set on the answer: a presented id is adopted only when it is ours
(`state["console_presented"]` says whether one was). A page that rotates the id (signing in or
out) puts the new one in `scope["state"]["console_sid"]` and the answer carries it."""

from http.cookies import SimpleCookie

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medrec_console.sessions.service import SessionIds


def content_security_policy(form_action_origins: tuple[str, ...] = ()) -> str:
    """No inline script or style anywhere: every script is a file of ours, every style a
    stylesheet. Forms post to the console, and lead (by a redirect, which browsers check against
    form-action too) only to the origins given: the organisation's OpenID Connect provider's,
    when staff sign in there. Pictures are ours or `data:` (a proxy request's
    documents, rendered to PNG on the server and put in the page)."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            " ".join(["form-action 'self'", *form_action_origins]),
            "frame-ancestors 'none'",
        ]
    )


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "cross-origin-opener-policy": "same-origin",
}
NO_STORE_PREFIXES = ("/static/",)


class ConsoleHeadersMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        cookie_name: str,
        session_ids: SessionIds,
        secure: bool,
        max_age: int,
        form_action_origins: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.headers = {
            "content-security-policy": content_security_policy(form_action_origins),
            **SECURITY_HEADERS,
        }
        self.cookie_name = cookie_name
        self.session_ids = session_ids
        self.secure = secure
        self.max_age = max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        static = path.startswith("/static/")
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(Headers(scope=scope).get("cookie", ""))
        except Exception:  # a malformed Cookie header is a visitor without a session
            jar = SimpleCookie()
        morsel = jar.get(self.cookie_name)
        presented = morsel.value if morsel is not None else None
        if not self.session_ids.issued(presented):
            presented = None  # made up elsewhere: never adopted, and replaced on the answer
        state = scope.setdefault("state", {})
        state["console_presented"] = presented is not None
        state["console_sid"] = presented or self.session_ids.new()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if not static:
                    headers.setdefault("cache-control", "no-store")
                    current = state.get("console_sid")
                    if current and current != presented:
                        headers.append("set-cookie", self._cookie(current))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _cookie(self, value: str) -> str:
        parts = [
            f"{self.cookie_name}={value}",
            "Path=/",
            "HttpOnly",
            "SameSite=Strict",
            f"Max-Age={self.max_age}",
        ]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)
