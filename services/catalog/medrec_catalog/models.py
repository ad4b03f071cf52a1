import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from medrec_shared.db import Base, new_metadata
from medrec_shared.messaging import messaging_tables


class CatalogBase(Base):
    __abstract__ = True
    metadata = new_metadata()


messaging = messaging_tables(CatalogBase.metadata)


class Institution(CatalogBase):
    __tablename__ = "institutions"
    __table_args__ = (
        # `q` matches any part of a Korean name (migration 2a1d0c7e9b11 creates pg_trgm).
        Index(
            "ix_institutions_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
    )
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(50))
    address: Mapped[str] = mapped_column(String(300))
    region: Mapped[str] = mapped_column(String(50), index=True)
    status: Mapped[str] = mapped_column(String(16))  # closed | suspended | reopened
    closed_on: Mapped[date]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class CatalogRecord(CatalogBase):
    __tablename__ = "records"
    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    person_key: Mapped[str | None] = mapped_column(String(64), index=True)
    institution_code: Mapped[str] = mapped_column(String(8), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    specialty: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    department: Mapped[str | None] = mapped_column(String(100))
    service_start: Mapped[date]
    service_end: Mapped[date]
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    retention_until: Mapped[date] = mapped_column(index=True)
    retention_extended: Mapped[bool] = mapped_column(default=False)
    extension_reason: Mapped[str | None] = mapped_column(String(500))
    extended_by: Mapped[str | None] = mapped_column(String(64))
    # available | due (past its period, destruction asked) | destroyed | withdrawn
    status: Mapped[str] = mapped_column(String(16), default="available", index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AccessLogEntry(CatalogBase):
    __tablename__ = "access_log"
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    subject_person_key: Mapped[str] = mapped_column(String(64), index=True)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    acting_for: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime]
