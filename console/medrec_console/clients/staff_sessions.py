"""identity's staff sign-in as the console calls it (CONTRACT27.md): sign in with password and
one-time password, change the first password, refresh the access token, end the session. The
browser never talks to identity: the tokens identity answers stay in the console's session."""

from medrec_console.clients.http import Api
from medrec_console.clients.models import (
    OidcStarted,
    Refreshed,
    SignedIn,
    SignInAnswer,
    SignInResult,
)


class StaffSessionsClient:
    def __init__(self, api: Api) -> None:
        self.api = api

    async def sign_in(self, *, login: str, password: str, totp: str) -> SignInAnswer:
        """Signed in, or a first password to choose. The password travels in the body only."""
        body = {"login": login, "password": password, "totp": totp}
        response = await self.api.send("POST", "/v1/staff/sessions", json=body)
        return SignInResult.model_validate({"answer": response.json()}).answer

    async def change_password(self, *, change_token: str, new_password: str) -> SignedIn:
        body = {"change_token": change_token, "new_password": new_password}
        return await self.api.call(SignedIn, "POST", "/v1/staff/password", json=body)

    async def start_oidc(self, *, redirect_uri: str) -> OidcStarted:
        """The organisation's provider: where to send the browser, and the flow's state."""
        body = {"redirect_uri": redirect_uri}
        return await self.api.call(OidcStarted, "POST", "/v1/staff/oidc/start", json=body)

    async def finish_oidc(self, *, state: str, code: str, redirect_uri: str) -> SignedIn:
        body = {"state": state, "code": code, "redirect_uri": redirect_uri}
        return await self.api.call(SignedIn, "POST", "/v1/staff/oidc/finish", json=body)

    async def refresh(self, session_token: str) -> Refreshed:
        body = {"session_token": session_token}
        return await self.api.call(Refreshed, "POST", "/v1/staff/sessions/refresh", json=body)

    async def end(self, session_token: str) -> None:
        await self.api.send("POST", "/v1/staff/sessions/end", json={"session_token": session_token})
