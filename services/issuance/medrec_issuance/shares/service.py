"""Shares, the rules: only the requester of a ready, unexpired copy shares it, for 1 to 30 days
(never past the copy's own expiry); the link's token (256 bits) and the six-digit access code
are answered once and kept only as keyed digests (HMAC-SHA256 under the service's index key,
each with a purpose of its own, the code's bound to its share). The recipient downloads with the
code while the share is neither revoked nor expired and the copy still downloadable; wrong codes
are limited per share and per client address as verification codes are (rate events shared by
every replica; every try is counted too, as it is made, so concurrent guesses cannot outrun the
wrong codes' count), and a limit reached refuses even the right code until it frees. Each
download is counted on the share and goes to the subject's access history naming the recipient.

Methods take the caller's session and never commit."""

import secrets
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_issuance.issuances.repository import IssuanceRepository
from medrec_issuance.issuances.service import check_downloadable, issuance_of
from medrec_issuance.models import Issuance, Share
from medrec_issuance.notices import ask_notice
from medrec_issuance.settings import IssuanceSettings
from medrec_issuance.shares.repository import ShareRepository
from medrec_issuance.shares.schemas import ShareStatus, status_at
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.crypto import blind_index
from medrec_shared.platform.ids import new_id
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.problems import Forbidden, Gone, NotFound
from medrec_shared.platform.ratelimit import Limit, RateLimiter
from medrec_shared.platform.vault import Vault
from medrec_shared.rules.audit import recipient_download
from medrec_shared.rules.notices import NoticeKind

TOKEN_BYTES = 32
CODE_DIGITS = 6


class WrongAccessCode(Forbidden):
    type, title = "wrong-access-code", "The access code is wrong"


class ShareGone(Gone):
    type = "share-gone"


@dataclass(frozen=True)
class NewShare:
    share: Share
    token: str
    access_code: str


def normalised_code(typed: str) -> str:
    """The code is typed by hand: spaces and hyphens do not count."""
    return "".join(typed.split()).replace("-", "")


@dataclass(kw_only=True)
class Shares:
    settings: IssuanceSettings
    clock: Clock
    vault: Vault
    limiter: RateLimiter

    @property
    def _key(self) -> bytes:
        return self.settings.person_index_key.get_secret_value().encode()

    def token_digest(self, token: str) -> str:
        return blind_index(self._key, f"share-token:{token}")

    def code_digest(self, share_id: uuid.UUID, code: str) -> str:
        return blind_index(self._key, f"share-code:{share_id}:{code}")

    def url(self, token: str) -> str:
        return f"{self.settings.share_page_url.rstrip('/')}/{token}"

    async def create(
        self,
        session: AsyncSession,
        principal: Principal,
        issuance_id: uuid.UUID,
        *,
        recipient: str,
        days: int,
    ) -> NewShare:
        issuance = await issuance_of(session, principal, issuance_id)
        now = self.clock.now()
        check_downloadable(issuance, now)
        assert issuance.expires_at is not None
        token = secrets.token_urlsafe(TOKEN_BYTES)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        share_id = new_id()
        share = Share(
            share_id=share_id,
            issuance_id=issuance.issuance_id,
            recipient=recipient,
            token_digest=self.token_digest(token),
            access_code_digest=self.code_digest(share_id, code),
            expires_at=min(now + timedelta(days=days), issuance.expires_at),
            revoked_at=None,
            downloads=0,
            created_at=now,
        )
        await ShareRepository(session).add(share)
        return NewShare(share, token, code)

    async def of_issuance(
        self, session: AsyncSession, principal: Principal, issuance_id: uuid.UUID
    ) -> Sequence[Share]:
        await issuance_of(session, principal, issuance_id)
        return await ShareRepository(session).of_issuance(issuance_id)

    async def revoke(
        self,
        session: AsyncSession,
        principal: Principal,
        issuance_id: uuid.UUID,
        share_id: uuid.UUID,
    ) -> None:
        """Revoking twice is revoking once (the first instant is kept)."""
        await issuance_of(session, principal, issuance_id)
        share = await ShareRepository(session).get(issuance_id, share_id)
        if share is None:
            raise NotFound("No such share of this issuance.")
        if share.revoked_at is None:
            share.revoked_at = self.clock.now()

    def _limits(self, share: Share, address: str) -> tuple[Limit, list[Limit]]:
        """Every try at the share (counted as it is made, atomically), and the wrong codes per
        share and per client address (looked at first, counted once found wrong)."""
        settings = self.settings
        window = timedelta(seconds=settings.share_code_limit_window_seconds)
        client = blind_index(self._key, f"client:{address}")
        share_key = str(share.share_id)
        return Limit("share.try.share", share_key, settings.share_tries_per_share, window), [
            Limit("share.code.share", share_key, settings.share_code_limit_per_share, window),
            Limit("share.code.client", client, settings.share_code_limit_per_client, window),
        ]

    async def download(
        self, session: AsyncSession, token: str, typed_code: str, *, address: str
    ) -> tuple[Issuance, AsyncIterator[bytes]]:
        """The shared copy as a stream of the decrypted PDF, for whoever holds the link and the
        code; counted on the share and logged for the subject in the same transaction."""
        shares = ShareRepository(session)
        share = await shares.by_token(self.token_digest(token))
        if share is None:
            raise NotFound("No such share.")
        refuse_closed(share, self.clock.now())
        # The limits are counted in transactions of their own (another connection): no lock
        # is held here until the code is found right.
        tries, wrong_codes = self._limits(share, address)
        await self.limiter.hit(tries, check_only=wrong_codes)
        expected = self.code_digest(share.share_id, normalised_code(typed_code))
        if not secrets.compare_digest(share.access_code_digest, expected):
            for limit in wrong_codes:
                await self.limiter.count(limit)
            raise WrongAccessCode("The access code does not match this share.")
        # Read again under the lock: revoked meanwhile is refused, and the count is exact.
        share = await shares.by_token(share.token_digest, for_update=True)
        assert share is not None
        now = self.clock.now()
        refuse_closed(share, now)
        issuance = await IssuanceRepository(session).get(share.issuance_id)
        assert issuance is not None
        check_downloadable(issuance, now)
        assert issuance.object_key and issuance.kek_id and issuance.wrapped_dek
        share.downloads += 1
        share.last_opened_at = now
        announce(
            session,
            self.settings.topic_audit,
            issuance.subject_person_key,
            recipient_download(
                issuance.subject_person_key, share.share_id, share.recipient, issuance.issuance_id
            ),
        )
        if issuance.requester_person_key is not None:  # whoever shared it is told
            ask_notice(
                session,
                self.settings,
                issuance.requester_person_key,
                NoticeKind.share_opened,
                f"share:{share.share_id}:{share.downloads}",
                {"number": issuance.issuance_number, "recipient": share.recipient},
            )
        return issuance, self.vault.get(issuance.object_key, issuance.kek_id, issuance.wrapped_dek)


def refuse_closed(share: Share, now: datetime) -> None:
    status = status_at(share, now)
    if status == ShareStatus.revoked:
        raise ShareGone(
            "The share was revoked by the person who made it.", extra={"reason": "revoked"}
        )
    if status == ShareStatus.expired:
        raise ShareGone("The share has expired.", extra={"reason": "expired"})
