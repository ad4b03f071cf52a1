"""All SQL on staff accounts, their sessions and their OIDC sign-ins."""

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update

from medrec_identity.models import StaffAccount, StaffOidcFlow, StaffSession
from medrec_shared.platform.db import Repository


class StaffRepository(Repository):
    async def get(self, account_id: uuid.UUID, *, for_update: bool = False) -> StaffAccount | None:
        query = select(StaffAccount).where(StaffAccount.account_id == account_id)
        if for_update:
            query = query.with_for_update()
        result: StaffAccount | None = await self.scalar(query)
        return result

    async def by_login(self, login: str, *, for_update: bool = False) -> StaffAccount | None:
        query = select(StaffAccount).where(StaffAccount.login == login)
        if for_update:
            query = query.with_for_update()
        result: StaffAccount | None = await self.scalar(query)
        return result

    async def page(self, after: str | None, limit: int) -> list[StaffAccount]:
        """Accounts by login, those after `after`."""
        query = select(StaffAccount).order_by(StaffAccount.login).limit(limit)
        if after is not None:
            query = query.where(StaffAccount.login > after)
        return list((await self.session.execute(query)).scalars())

    async def add(self, account: StaffAccount) -> None:
        self.session.add(account)
        await self.session.flush()

    # -- sessions -------------------------------------------------------------------------------
    async def add_session(self, row: StaffSession) -> None:
        self.session.add(row)
        await self.session.flush()

    async def session_by_hash(
        self, token_hash: str, purpose: str, *, for_update: bool = True
    ) -> StaffSession | None:
        query = select(StaffSession).where(
            StaffSession.token_hash == token_hash, StaffSession.purpose == purpose
        )
        if for_update:
            query = query.with_for_update()
        result: StaffSession | None = await self.scalar(query)
        return result

    async def end_sessions(self, account_id: uuid.UUID, now: datetime) -> None:
        """Every session and password-change step of the account, ended (disabled, reset)."""
        await self.session.execute(
            update(StaffSession)
            .where(StaffSession.account_id == account_id, StaffSession.ended_at.is_(None))
            .values(ended_at=now)
        )

    async def purge_sessions(self, before: datetime) -> int:
        """Sessions past their absolute end before `before`: nothing can revive them."""
        done = await self.session.execute(
            delete(StaffSession).where(StaffSession.expires_at < before)
        )
        return int(done.rowcount or 0)  # type: ignore[attr-defined]

    # -- OIDC sign-ins -------------------------------------------------------------------------
    async def add_flow(self, flow: StaffOidcFlow) -> None:
        self.session.add(flow)
        await self.session.flush()

    async def flow(self, state_hash: str) -> StaffOidcFlow | None:
        query = select(StaffOidcFlow).where(StaffOidcFlow.state_hash == state_hash)
        result: StaffOidcFlow | None = await self.scalar(query.with_for_update())
        return result

    async def purge_flows(self, before: datetime) -> int:
        done = await self.session.execute(
            delete(StaffOidcFlow).where(StaffOidcFlow.expires_at < before)
        )
        return int(done.rowcount or 0)  # type: ignore[attr-defined]
