"""The console's one table: sessions, each row found by the SHA-256 of the browser's session id
(the id itself is never stored) and holding its tokens sealed."""

from datetime import datetime

from sqlalchemy import LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from medrec_shared.platform.db import Base, new_metadata


class ConsoleBase(Base):
    __abstract__ = True
    metadata = new_metadata()


class ConsoleSession(ConsoleBase):
    __tablename__ = "sessions"
    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    # medrec_shared.platform.crypto.seal of the session's JSON (identity's session token, the
    # access token, the staff person), context b"console.session" + id_hash.
    data_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
