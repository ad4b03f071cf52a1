"""What a session holds and how it is kept.

The browser's cookie carries a random 256-bit id, tagged by the portal (`SessionIds`, every front
door's: medrec_shared.platform.frontdoor.sessions), and nothing else. The row is found by the id's
SHA-256, so a leaked table names no live cookie; its content (the citizen's token, the child's token
while acting for a child, a pending verification) is sealed with the portal's keyring, bound to that
hash. An id without the portal's tag was never issued here and is never adopted (a planted cookie is
replaced), and signing in and out rotates the id: no fixation. Any replica of the portal reads any
session: they share the database, and a restart loses none."""

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_portal.models import PortalSession
from medrec_portal.sessions.repository import SessionRepository
from medrec_shared.platform.crypto import CryptoError, Keyring, seal, unseal
from medrec_shared.platform.frontdoor.sessions import SessionIds, id_hash

_CONTEXT = b"portal.session"


@dataclass
class Acting:
    """A guardian acting for a child: the child's token (`sub` child, `act.sub` guardian)."""

    person_id: str
    name: str
    token: str


@dataclass
class SessionData:
    token: str | None = None  # the citizen's own token
    person_id: str | None = None
    name: str | None = None
    token_expires_at: str | None = None  # RFC 3339
    acting: Acting | None = None
    verification_id: str | None = None  # pending sign-in
    sandbox_code: str | None = None  # shown on the code page in sandbox mode only
    next_path: str | None = None
    # Said once on the next page (발급 이력): the documents of a request not issued, and why.
    notices: list[str] = field(default_factory=list)

    @property
    def signed_in(self) -> bool:
        return self.token is not None

    @property
    def subject_token(self) -> str | None:
        """The token of the person whose records the pages show: the child's while acting."""
        return self.acting.token if self.acting else self.token

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> "SessionData":
        data: dict[str, Any] = json.loads(raw)
        acting = data.pop("acting", None)
        # A session sealed by an older portal may hold fields since dropped (its list of
        # proxy requests, which issuance now lists itself): they are left behind.
        known = {f.name for f in fields(cls)} - {"acting"}
        kept = {k: v for k, v in data.items() if k in known}
        return cls(**kept, acting=Acting(**acting) if acting else None)


class SessionStore:
    """Loads and saves sessions in the request's transaction (it never commits)."""

    def __init__(self, keyring: Keyring, idle: timedelta, ids: SessionIds) -> None:
        self.keyring = keyring
        self.idle = idle
        self.ids = ids

    async def load(self, db: AsyncSession, session_id: str, now: datetime) -> SessionData:
        row = await SessionRepository(db).get(id_hash(session_id), now)
        if row is None:
            return SessionData()
        try:
            raw = unseal(self.keyring, row.data_sealed, context=_CONTEXT + row.id_hash)
        except CryptoError:  # a key retired since: the visitor signs in again
            return SessionData()
        data = SessionData.from_json(raw)
        if data.token_expires_at and datetime.fromisoformat(data.token_expires_at) <= now:
            return SessionData()
        return data

    async def save(
        self, db: AsyncSession, session_id: str, data: SessionData, now: datetime
    ) -> None:
        hashed = id_hash(session_id)
        expires = now + self.idle
        if data.token_expires_at:
            expires = min(expires, datetime.fromisoformat(data.token_expires_at))
        sealed = seal(self.keyring, data.to_json(), context=_CONTEXT + hashed)
        row = PortalSession(id_hash=hashed, data_sealed=sealed, created_at=now, expires_at=expires)
        await SessionRepository(db).put(row)

    async def drop(self, db: AsyncSession, session_id: str) -> None:
        await SessionRepository(db).remove(id_hash(session_id))
