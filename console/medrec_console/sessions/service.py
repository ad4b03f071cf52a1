"""What a session holds and how it is kept.

The browser's cookie carries a random 256-bit id, tagged by the console (`SessionIds`, every front
door's: medrec_shared.platform.frontdoor.sessions), and nothing else. The row is found by the id's
SHA-256, so a leaked table names no live cookie; its content (identity's staff session token, the
access token, who is signed in) is sealed with the console's keyring, bound to that hash. An id
without the console's tag was never issued here and is never adopted (a planted cookie is replaced),
and signing in and out rotates the id.

A session ends at the first of: `idle` without a request (30 minutes), identity's session end
(8 hours from signing in, `session_expires_at`), or signing out. The access token itself lives
a quarter of an hour and is refreshed through identity while the session lasts."""

import json
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_console.models import ConsoleSession
from medrec_console.sessions.repository import SessionRepository
from medrec_shared.platform.crypto import CryptoError, Keyring, seal, unseal
from medrec_shared.platform.frontdoor.sessions import SessionIds, id_hash
from medrec_shared.rules.staff import scopes_for

_CONTEXT = b"console.session"


@dataclass
class Staff:
    """Who is signed in, as identity answered at sign-in (the token's `staff` claim and name)."""

    account_id: str
    login: str
    name: str
    organisation: str
    roles: list[str]
    region: str | None = None

    @property
    def scopes(self) -> frozenset[str]:
        """What their token carries (identity grants the union of their roles' scopes)."""
        return scopes_for(self.roles)


@dataclass
class SessionData:
    # Signed in: identity's session (refreshed through identity) and the current access token.
    session_token: str | None = None
    access_token: str | None = None
    access_expires_at: str | None = None  # RFC 3339
    session_expires_at: str | None = None  # identity's absolute end (8 h from signing in)
    staff: Staff | None = None
    # First sign-in (or after a reset): the change token identity gave, until a new password.
    change_token: str | None = None
    change_expires_at: str | None = None
    change_login: str | None = None
    next_path: str | None = None
    # Signing in through the organisation's provider: the flow's state, until it comes back.
    oidc_state: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.session_token is not None and self.staff is not None

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> "SessionData":
        data: dict[str, Any] = json.loads(raw)
        staff = data.pop("staff", None)
        known = {f.name for f in fields(cls)} - {"staff"}
        kept = {k: v for k, v in data.items() if k in known}
        return cls(**kept, staff=Staff(**staff) if staff else None)


def _ends(data: SessionData) -> list[datetime]:
    ends = [data.session_expires_at, data.change_expires_at]
    return [datetime.fromisoformat(end) for end in ends if end]


class SessionStore:
    """Loads and saves sessions in the request's transaction (it never commits)."""

    def __init__(self, keyring: Keyring, idle: timedelta, ids: SessionIds) -> None:
        self.keyring = keyring
        self.idle = idle
        self.ids = ids

    async def load(self, db: AsyncSession, session_id: str, now: datetime) -> SessionData | None:
        """The session's data; None when there is no live session under this id (never one,
        idle too long, past identity's end, or sealed by a key retired since)."""
        row = await SessionRepository(db).get(id_hash(session_id), now)
        if row is None:
            return None
        try:
            raw = unseal(self.keyring, row.data_sealed, context=_CONTEXT + row.id_hash)
        except CryptoError:
            return None
        data = SessionData.from_json(raw)
        if any(end <= now for end in _ends(data)):
            return None
        return data

    async def save(
        self, db: AsyncSession, session_id: str, data: SessionData, now: datetime
    ) -> None:
        """Kept `idle` from now (every request a signed-in person makes saves it), never past
        identity's end."""
        hashed = id_hash(session_id)
        expires = min([now + self.idle, *_ends(data)])
        sealed = seal(self.keyring, data.to_json(), context=_CONTEXT + hashed)
        row = ConsoleSession(id_hash=hashed, data_sealed=sealed, created_at=now, expires_at=expires)
        await SessionRepository(db).put(row)

    async def drop(self, db: AsyncSession, session_id: str) -> None:
        await SessionRepository(db).remove(id_hash(session_id))
