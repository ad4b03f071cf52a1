"""All SQL on transfer requests. One row per (institution, person): asking again changes
nothing, so a count of rows is a count of people."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from medrec_catalog.models import Institution, TransferRequest
from medrec_shared.platform.db import Repository


@dataclass(frozen=True)
class Asked:
    """A clinic and how many people asked for its transfer (and are not told yet)."""

    institution: Institution
    requests: int
    last_asked_at: datetime


class TransferRequestRepository(Repository):
    async def add(self, institution_code: str, person_key: str, *, now: datetime) -> bool:
        """True when this person had not asked for this clinic before."""
        added = await self.session.execute(
            insert(TransferRequest)
            .values(institution_code=institution_code, person_key=person_key, asked_at=now)
            .on_conflict_do_nothing(index_elements=["institution_code", "person_key"])
            .returning(TransferRequest.person_key)
        )
        return added.first() is not None

    async def asked_by(self, person_key: str) -> list[str]:
        """The codes of the clinics this person asked for, told or not."""
        rows = await self.session.scalars(
            select(TransferRequest.institution_code)
            .where(TransferRequest.person_key == person_key)
            .order_by(TransferRequest.institution_code)
        )
        return list(rows)

    async def queue(self, regions: Collection[str] | None, limit: int) -> list[Asked]:
        """Clinics with requests not yet answered by an arrival, most asked for first (then the
        longest waiting). `regions`: the spellings of the regions to keep, or None for all."""
        requests = func.count().label("requests")
        last = func.max(TransferRequest.asked_at).label("last_asked_at")
        query = (
            select(Institution, requests, last)
            .join(TransferRequest, TransferRequest.institution_code == Institution.code)
            .where(TransferRequest.notified_at.is_(None))
            .group_by(Institution.code)
            .order_by(requests.desc(), func.min(TransferRequest.asked_at), Institution.code)
            .limit(limit)
        )
        if regions is not None:
            query = query.where(Institution.region.in_(sorted(regions)))
        return [Asked(i, int(n), at) for i, n, at in await self.session.execute(query)]

    async def mark_told(self, institution_code: str, *, now: datetime) -> list[str]:
        """The people who asked for this clinic and were not told yet, marked told in the same
        statement: a second arrival (or the event again) finds nobody left to tell."""
        told = await self.session.scalars(
            update(TransferRequest)
            .where(
                TransferRequest.institution_code == institution_code,
                TransferRequest.notified_at.is_(None),
            )
            .values(notified_at=now)
            .returning(TransferRequest.person_key)
        )
        return sorted(told)
