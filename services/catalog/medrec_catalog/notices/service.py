"""The rules of notices. A notice is stored only for a person who has signed in at least once
(`notice_people`, from PersonVerified), once per (person, notice_key) however often it is asked;
it is also sent (a `notice_deliveries` row the worker's deliverer picks up) only when the
person's choices want its kind sent (default: every kind). A guardian acting for a child reads
their own notices, never the child's. Functions here work in the caller's transaction and never
commit."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.models import DeliveryStatus, Notice, NoticeDelivery
from medrec_catalog.notices.repository import RETENTION_PREFIX, NoticeRepository
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.clock import korean_date
from medrec_shared.platform.ids import new_id
from medrec_shared.platform.problems import Forbidden, NotFound
from medrec_shared.rules.notices import RETENTION_NOTICE_DAYS, NoticeKind
from medrec_shared.rules.records import RECORD_KIND_LABELS

RETENTION_BATCH = 500


async def remember_person(session: AsyncSession, person_key: str, at: datetime) -> None:
    """The person signed in: from now on they may be told things."""
    await NoticeRepository(session).remember_person(person_key, at)


async def ask(
    session: AsyncSession,
    person_key: str,
    kind: NoticeKind | str,
    notice_key: str,
    params: dict[str, str],
    *,
    at: datetime | None = None,
) -> uuid.UUID | None:
    """Stores the notice (and its delivery, when the person wants this kind sent); the new
    notice's id, or None when nothing was stored: the person never signed in, or has this
    notice already."""
    kind = NoticeKind(kind)
    notices = NoticeRepository(session)
    if not await notices.knows(person_key):
        return None
    now = at or datetime.now().astimezone()
    notice = Notice(
        notice_id=new_id(),
        person_key=person_key,
        kind=kind.value,
        notice_key=notice_key,
        params=dict(params),
        created_at=now,
        read_at=None,
    )
    if not await notices.add(notice):
        return None
    if await notices.wants_sent(person_key, kind.value):
        await notices.add_delivery(
            NoticeDelivery(
                notice_id=notice.notice_id,
                person_key=person_key,
                status=DeliveryStatus.pending,
                attempts=0,
                created_at=now,
            )
        )
    return notice.notice_id


async def ask_retention_ending(session: AsyncSession, now: datetime) -> int:
    """One retention_ending notice per held record whose retention ends within
    RETENTION_NOTICE_DAYS (as of today in Korea), to its person if they have signed in: which
    institution, which kind, until when. Running it again finds nothing new."""
    today: date = korean_date(now)
    notices = NoticeRepository(session)
    asked = 0
    while True:
        batch = await notices.ending_unnoticed(today, RETENTION_NOTICE_DAYS, RETENTION_BATCH)
        stored = 0
        for record, institution in batch:
            assert record.person_key is not None  # joined to a person who signed in
            params = {
                "institution": institution or record.institution_code,
                "record_kind": RECORD_KIND_LABELS.get(record.kind, record.kind),
                "until": record.retention_until.isoformat(),
            }
            key = f"{RETENTION_PREFIX}{record.record_id}"
            if await ask(
                session, record.person_key, NoticeKind.retention_ending, key, params, at=now
            ):
                stored += 1
        await session.flush()
        asked += stored
        # A short batch was the last; one that stored nothing met a concurrent sweep's rows.
        if len(batch) < RETENTION_BATCH or not stored:
            return asked


def reader_key(principal: Principal) -> str:
    """Whose notices the caller reads: their own, also when acting for a child."""
    key = principal.actor_person_key if principal.acting_for_other else principal.person_key
    if key is None:
        raise Forbidden("This needs a citizen's token.")
    return key


async def notices_of(
    session: AsyncSession, principal: Principal, limit: int, before: uuid.UUID | None
) -> tuple[Sequence[Notice], int]:
    """`limit` of the reader's notices from `before`, newest first, and how many are unread."""
    notices = NoticeRepository(session)
    key = reader_key(principal)
    return await notices.page(key, limit, before), await notices.unread(key)


async def mark_read(
    session: AsyncSession, principal: Principal, notice_id: uuid.UUID, at: datetime
) -> None:
    if not await NoticeRepository(session).mark_read(reader_key(principal), notice_id, at):
        raise NotFound("No such notice.")


async def choices_of(session: AsyncSession, principal: Principal) -> dict[NoticeKind, bool]:
    """Every kind with the reader's choice (default: sent)."""
    chosen = await NoticeRepository(session).choices(reader_key(principal))
    return {kind: chosen.get(kind.value, True) for kind in NoticeKind}


async def choose(
    session: AsyncSession, principal: Principal, kinds: dict[NoticeKind, bool], at: datetime
) -> dict[NoticeKind, bool]:
    """Records the kinds given (the others keep their choice); every kind's choice after."""
    if kinds:
        await NoticeRepository(session).choose(
            reader_key(principal), {k.value: v for k, v in kinds.items()}, at
        )
    return await choices_of(session, principal)
