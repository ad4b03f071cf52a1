"""All SQL of notices. Inserts that must happen once use ON CONFLICT DO NOTHING, so a
redelivered request or a second sweep writes nothing twice even when two run at once."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import Text, and_, cast, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert

from medrec_catalog.models import (
    CatalogRecord,
    DeliveryStatus,
    Institution,
    Notice,
    NoticeDelivery,
    NoticePerson,
    NoticePreference,
    RecordStatus,
)
from medrec_shared.platform.db import Repository

RETENTION_PREFIX = "retention:"  # + the record id: a record's one retention notice


class NoticeRepository(Repository):
    async def remember_person(self, person_key: str, at: datetime) -> None:
        await self.session.execute(
            insert(NoticePerson)
            .values(person_key=person_key, first_seen_at=at)
            .on_conflict_do_nothing(index_elements=["person_key"])
        )

    async def knows(self, person_key: str) -> bool:
        return await self.session.get(NoticePerson, person_key) is not None

    async def add(self, notice: Notice) -> bool:
        """False: the person has this notice already (same notice_key)."""
        values = {c.key: getattr(notice, c.key) for c in Notice.__table__.columns}
        result = await self.session.execute(
            insert(Notice)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["person_key", "notice_key"])
            .returning(Notice.notice_id)
        )
        return result.scalar_one_or_none() is not None

    async def wants_sent(self, person_key: str, kind: str) -> bool:
        choice = await self.session.get(NoticePreference, (person_key, kind))
        return True if choice is None else choice.send

    async def choices(self, person_key: str) -> dict[str, bool]:
        rows = await self.session.execute(
            select(NoticePreference.kind, NoticePreference.send).where(
                NoticePreference.person_key == person_key
            )
        )
        return {kind: send for kind, send in rows.tuples()}

    async def choose(self, person_key: str, kinds: dict[str, bool], at: datetime) -> None:
        statement = insert(NoticePreference).values(
            [
                {"person_key": person_key, "kind": kind, "send": send, "updated_at": at}
                for kind, send in kinds.items()
            ]
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["person_key", "kind"],
                set_={"send": statement.excluded.send, "updated_at": at},
            )
        )

    async def page(self, person_key: str, limit: int, before: uuid.UUID | None) -> Sequence[Notice]:
        query = select(Notice).where(Notice.person_key == person_key)
        if before is not None:
            query = query.where(Notice.notice_id < before)
        rows = await self.session.execute(query.order_by(Notice.notice_id.desc()).limit(limit))
        return rows.scalars().all()

    async def unread(self, person_key: str) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Notice)
            .where(Notice.person_key == person_key, Notice.read_at.is_(None))
        )
        return int(count or 0)

    async def mark_read(self, person_key: str, notice_id: uuid.UUID, at: datetime) -> bool:
        """False: the person has no such notice. Reading it again keeps the first time."""
        notice = await self.session.get(Notice, notice_id)
        if notice is None or notice.person_key != person_key:
            return False
        if notice.read_at is None:
            notice.read_at = at
        return True

    async def ending_unnoticed(
        self, today: date, days: int, limit: int
    ) -> Sequence[tuple[CatalogRecord, str | None]]:
        """Held records of people who have signed in whose retention ends within `days` (and
        not yet), without a retention notice yet, with their institution's name."""
        key = func.concat(RETENTION_PREFIX, cast(CatalogRecord.record_id, Text))
        rows = await self.session.execute(
            select(CatalogRecord, Institution.name)
            .join(NoticePerson, NoticePerson.person_key == CatalogRecord.person_key)
            .outerjoin(Institution, Institution.code == CatalogRecord.institution_code)
            .where(
                CatalogRecord.status == RecordStatus.available,
                CatalogRecord.retention_until >= today,
                CatalogRecord.retention_until <= today + timedelta(days=days),
                ~exists().where(
                    and_(Notice.person_key == CatalogRecord.person_key, Notice.notice_key == key)
                ),
            )
            .order_by(CatalogRecord.retention_until)
            .limit(limit)
        )
        return [(record, name) for record, name in rows.tuples()]

    async def add_delivery(self, delivery: NoticeDelivery) -> None:
        self.session.add(delivery)

    async def claim_deliveries(
        self, now: datetime, hold: timedelta, limit: int
    ) -> Sequence[tuple[NoticeDelivery, Notice]]:
        """Pending deliveries (or ones whose claim lapsed), claimed until `now + hold` so that
        another worker leaves them alone while they are being sent."""
        rows = await self.session.execute(
            select(NoticeDelivery, Notice)
            .join(Notice, Notice.notice_id == NoticeDelivery.notice_id)
            .where(
                NoticeDelivery.status == DeliveryStatus.pending,
                (NoticeDelivery.claimed_until.is_(None)) | (NoticeDelivery.claimed_until < now),
            )
            .order_by(NoticeDelivery.notice_id)
            .limit(limit)
            .with_for_update(of=NoticeDelivery, skip_locked=True)
        )
        claimed = [(delivery, notice) for delivery, notice in rows.tuples()]
        for delivery, _ in claimed:
            delivery.claimed_until = now + hold
            delivery.attempts += 1
        return claimed

    async def record_delivery(
        self, notice_id: uuid.UUID, status: DeliveryStatus, sender: str, at: datetime
    ) -> None:
        await self.session.execute(
            update(NoticeDelivery)
            .where(NoticeDelivery.notice_id == notice_id)
            .values(
                status=status,
                sender=sender,
                claimed_until=None,
                sent_at=at if status == DeliveryStatus.sent else None,
            )
        )
