"""The headers every front-door answer carries, and its session cookie.

Pure ASGI (as medrec_shared.platform.web's middlewares) so a streamed PDF passes through untouched.
The cookie holds only the opaque session id: HttpOnly, Path=/, no Domain, Secure unless the local
stack turns it off; its name, SameSite and lifetime are the front door's (a subclass says them).
A request without a cookie, or with an id the front door never issued (`SessionIssuer.issued`: a
planted one), is given a fresh id, which is set on the answer: a presented id is adopted only when
it is ours. A page that rotates the id (signing in or out) puts the new one in
`scope["state"][sid_key]` and the answer carries it."""

from http.cookies import SimpleCookie
from typing import ClassVar, Literal, Protocol

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class SessionIssuer(Protocol):
    def new(self) -> str: ...

    def issued(self, sid: str | None) -> bool: ...


def content_security_policy(form_action_origins: tuple[str, ...] = ()) -> str:
    """No inline script or style anywhere: every script is a file of ours, every style a
    stylesheet. Forms post to the front door, and lead (by a redirect, which browsers check
    against form-action too) only to the origins given: an OpenID Connect provider's, when people
    sign in there. Pictures are ours or `data:` (documents rendered to PNG on the server and put
    in the page)."""
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


class FrontDoorHeadersMiddleware:
    """A front door's subclass names its cookie's SameSite and the state keys its pages read."""

    same_site: ClassVar[Literal["Strict", "Lax"]]
    sid_key: ClassVar[str]
    # Where a front door that must tell "no cookie" from "a cookie we issued" reads it; None when
    # its pages never ask.
    presented_key: ClassVar[str | None] = None

    def __init__(
        self,
        app: ASGIApp,
        *,
        cookie_name: str,
        session_ids: SessionIssuer,
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
        if self.presented_key is not None:
            state[self.presented_key] = presented is not None
        state[self.sid_key] = presented or self.session_ids.new()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if not static:
                    headers.setdefault("cache-control", "no-store")
                    current = state.get(self.sid_key)
                    if current and current != presented:
                        headers.append("set-cookie", self._cookie(current))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _cookie(self, value: str) -> str:
        parts = [
            f"{self.cookie_name}={value}",
            "Path=/",
            "HttpOnly",
            f"SameSite={self.same_site}",
            f"Max-Age={self.max_age}",
        ]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)
