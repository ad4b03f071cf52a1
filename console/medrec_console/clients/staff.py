"""identity's staff accounts as platform staff manage them (`staff:manage`): list, create (the
one-time password and the TOTP URI are in that one answer only), change roles, reset a second
factor (a new TOTP URI, shown once), disable. Each is a StaffActed naming the person who did it."""

from typing import Any

from medrec_console.clients.http import Api
from medrec_console.clients.models import (
    PasswordReset,
    SecondFactorReset,
    StaffAccounts,
    StaffCreated,
)


class StaffClient:
    def __init__(self, identity: Api) -> None:
        self.api = identity

    async def accounts(
        self, token: str, *, limit: int = 100, cursor: str | None = None
    ) -> StaffAccounts:
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        return await self.api.call(
            StaffAccounts, "GET", "/v1/admin/staff", token=token, params=params
        )

    async def create(
        self,
        token: str,
        *,
        login: str,
        name: str,
        organisation: str,
        roles: list[str],
        region: str | None,
    ) -> StaffCreated:
        body: dict[str, Any] = {
            "login": login, "name": name, "organisation": organisation, "roles": roles,
        } | ({"region": region} if region else {})  # fmt: skip
        return await self.api.call(StaffCreated, "POST", "/v1/admin/staff", token=token, json=body)

    async def set_roles(
        self, token: str, account_id: str, *, roles: list[str], region: str | None
    ) -> None:
        body: dict[str, Any] = {"roles": roles} | ({"region": region} if region else {})
        await self.api.send("PUT", f"/v1/admin/staff/{account_id}/roles", token=token, json=body)

    async def reset_second_factor(self, token: str, account_id: str) -> SecondFactorReset:
        return await self.api.call(
            SecondFactorReset,
            "POST",
            f"/v1/admin/staff/{account_id}/second-factor-reset",
            token=token,
        )

    async def reset_password(self, token: str, account_id: str) -> PasswordReset:
        """A new one-time password (the person chooses their own at the next sign-in)."""
        return await self.api.call(
            PasswordReset, "POST", f"/v1/admin/staff/{account_id}/password-reset", token=token
        )

    async def disable(self, token: str, account_id: str) -> None:
        await self.api.send("POST", f"/v1/admin/staff/{account_id}/disable", token=token)
