"""All SQL of linkage: verified persons' match keys, candidates, and the unmatched records they
point at. Nothing here commits."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import func, or_, select, text
from sqlalchemy.dialects.postgresql import insert

from medrec_catalog.models import (
    CandidateStatus,
    CatalogRecord,
    Institution,
    LinkageCandidate,
    LinkagePerson,
    RecordStatus,
)
from medrec_shared.platform.db import Repository

# A candidate with what the list shows of its record: institution code and name, kind,
# specialty, service start and end.
CandidateRow = tuple[LinkageCandidate, str | None, str | None, str | None, str | None,
                     date | None, date | None]  # fmt: skip


class LinkageRepository(Repository):
    async def lock_match(self, match_keys: Iterable[str]) -> None:
        """Serialises, until the transaction ends, whoever proposes candidates for these keys
        (a record arriving and a person verifying at once would otherwise miss each other).
        Keys are locked in order, so two lockers cannot deadlock."""
        for key in sorted(set(match_keys)):
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 14))"), {"key": key}
            )

    async def persons_matching(self, match_key: str) -> Sequence[LinkagePerson]:
        rows = await self.session.execute(
            select(LinkagePerson).where(
                or_(
                    LinkagePerson.match_key == match_key,
                    LinkagePerson.match_key_any_sex == match_key,
                )
            )
        )
        return rows.scalars().all()

    async def unmatched_records_matching(
        self, match_keys: Sequence[str]
    ) -> Sequence[CatalogRecord]:
        rows = await self.session.execute(
            select(CatalogRecord).where(
                CatalogRecord.match_key.in_(match_keys),
                CatalogRecord.person_key.is_(None),
                CatalogRecord.status == RecordStatus.available,
            )
        )
        return rows.scalars().all()

    async def upsert_person(self, person: LinkagePerson) -> None:
        values = {
            "person_key": person.person_key,
            "person_id": person.person_id,
            "match_key": person.match_key,
            "match_key_any_sex": person.match_key_any_sex,
            "verified_at": person.verified_at,
        }
        statement = insert(LinkagePerson).values(values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[LinkagePerson.person_key],
                set_={k: statement.excluded[k] for k in values if k != "person_key"},
            )
        )

    async def add_candidate(self, candidate: LinkageCandidate) -> bool:
        """False when the pair was proposed before (whatever became of it)."""
        result = await self.session.execute(
            insert(LinkageCandidate)
            .values(
                candidate_id=candidate.candidate_id,
                record_id=candidate.record_id,
                person_key=candidate.person_key,
                person_id=candidate.person_id,
                matched_on=candidate.matched_on,
                status=candidate.status,
                created_at=candidate.created_at,
            )
            .on_conflict_do_nothing(index_elements=["record_id", "person_key"])
            .returning(LinkageCandidate.candidate_id)
        )
        return result.first() is not None

    async def candidate(self, candidate_id: uuid.UUID) -> LinkageCandidate | None:
        return await self.session.get(LinkageCandidate, candidate_id)

    async def candidate_for_update(self, candidate_id: uuid.UUID) -> LinkageCandidate | None:
        return await self.session.get(LinkageCandidate, candidate_id, with_for_update=True)

    async def candidates_of_record(self, record_id: uuid.UUID) -> Sequence[LinkageCandidate]:
        rows = await self.session.execute(
            select(LinkageCandidate)
            .where(LinkageCandidate.record_id == record_id)
            .order_by(LinkageCandidate.candidate_id)
            .with_for_update()
        )
        return rows.scalars().all()

    async def record_for_update(self, record_id: uuid.UUID) -> CatalogRecord | None:
        return await self.session.get(CatalogRecord, record_id, with_for_update=True)

    async def listed(
        self,
        status: CandidateStatus | None,
        limit: int,
        after: uuid.UUID | None,
        *,
        candidate_id: uuid.UUID | None = None,
    ) -> list[CandidateRow]:
        """Candidates oldest first (the review queue), with their record's listed fields."""
        query = (
            select(
                LinkageCandidate,
                CatalogRecord.institution_code,
                Institution.name,
                CatalogRecord.kind,
                CatalogRecord.specialty,
                CatalogRecord.service_start,
                CatalogRecord.service_end,
            )
            .outerjoin(CatalogRecord, CatalogRecord.record_id == LinkageCandidate.record_id)
            .outerjoin(Institution, Institution.code == CatalogRecord.institution_code)
        )
        if candidate_id is not None:
            query = query.where(LinkageCandidate.candidate_id == candidate_id)
        if status is not None:
            query = query.where(LinkageCandidate.status == status)
        if after is not None:
            query = query.where(LinkageCandidate.candidate_id > after)
        query = query.order_by(LinkageCandidate.candidate_id).limit(limit)
        return [tuple(row) for row in (await self.session.execute(query))]  # type: ignore[misc]

    async def counts(self) -> tuple[int, int]:
        """(unmatched records held, pending candidates)."""
        unmatched = await self.session.scalar(
            select(func.count()).where(
                CatalogRecord.person_key.is_(None),
                CatalogRecord.match_key.is_not(None),
                CatalogRecord.status == RecordStatus.available,
            )
        )
        pending = await self.session.scalar(
            select(func.count()).where(LinkageCandidate.status == CandidateStatus.pending)
        )
        return int(unmatched or 0), int(pending or 0)
