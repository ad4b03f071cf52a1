"""identity as the portal calls it: 본인인증 (start, confirm), the signed-in subject, and a
guardian's children with a token to act for one."""

import uuid

from medrec_portal.clients.http import Api
from medrec_portal.clients.models import (
    Child,
    CitizenToken,
    GuardianToken,
    VerificationStarted,
)
from medrec_shared.platform.pages import Page
from medrec_shared.rules.contracts import Me


class IdentityClient:
    def __init__(self, api: Api) -> None:
        self.api = api

    async def start_verification(self, *, name: str, rrn: str, phone: str) -> VerificationStarted:
        """By mobile phone. The RRN goes in the request's body, never in a URL or a log."""
        body = {"method": "mobile", "name": name, "rrn": rrn, "phone": phone}
        return await self.api.call(VerificationStarted, "POST", "/v1/verifications", json=body)

    async def confirm_verification(
        self, verification_id: str, code: str, state: str | None
    ) -> CitizenToken:
        body = {"code": code} | ({"state": state} if state else {})
        return await self.api.call(
            CitizenToken, "POST", f"/v1/verifications/{verification_id}/confirm", json=body
        )

    async def me(self, token: str) -> Me:
        return await self.api.call(Me, "GET", "/v1/me", token=token)

    async def children(self, token: str) -> list[Child]:
        found = await self.api.call(Page[Child], "GET", "/v1/me/children", token=token)
        return found.items

    async def child_token(self, token: str, person_id: uuid.UUID | str) -> GuardianToken:
        return await self.api.call(
            GuardianToken, "POST", f"/v1/me/children/{person_id}/token", token=token
        )

    async def aclose(self) -> None:
        await self.api.aclose()
