"""Linkage of records without an RRN (ARCHITECTURE.md, "Records without an RRN"): the rules.

- A record deposited without an RRN carries a match key (a keyed hash of its normalised name,
  birth date and sex: medrec_shared.rules.linkage) and no person key. Every verified person whose
  key matches it gets one pending candidate, whichever came first, the record or the verification;
  a record may have several (the same name and birth date is common). Nothing is ever linked
  automatically, and a pair once proposed is never proposed again (a rejection stands).
- A record deposited without an RRN before match keys existed gets its key later (ingest's
  backfill, RecordMatchKeyAssigned) and is then proposed as a record arriving is.
- A record of unknown sex matches on name and birth date alone (`matched_on` says which).
- A reviewer (a person: never a machine account, medrec_shared.rules.staff_acts) approves or
  rejects a pending candidate with a reason; the decision is final (`AlreadyDecided`, 409). A
  link cannot be undone for the person who saw it, so it takes two people: the first approval
  is a proposal (the candidate stays pending, `proposed_by`), the approval of another reviewer
  confirms it; the proposer approving again is refused (409). One reviewer's rejection decides
  (and so ends a proposal). Approval files the record under the person's key (from then on it is
  listed, copied, retained and destroyed as if it had come with their RRN), closes the record's
  other pending candidates, and tells the person in their access history that a record was
  linked, and when (as 보관기관 심사관, the organisation and role, never who).
- A reviewer may unlink a linked record with a reason: it leaves the person, and the candidates
  its approval closed are pending again (their proposals gone), for a better decision.
- Each act, and each read of the demographics, is in the audit trail under the reviewer's login
  (StaffActed).

The functions work on a `LinkageStore` (the repository, or a fake in unit tests) and return the
events to announce. `LinkageReview`, the reviewers' service, applies them to the repository and
announces what they return in the caller's unit of work; showing a candidate reads
both sides' demographics and is itself announced (the person's access history). Nothing here
commits."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.linkage.demographics import DemographicsSources
from medrec_catalog.linkage.repository import CandidateRow, LinkageRepository
from medrec_catalog.linkage.schemas import (
    CandidateDetail,
    CandidateOut,
    Demographics,
    UnlinkedOut,
    candidate_out,
)
from medrec_catalog.models import (
    CandidateStatus,
    CatalogRecord,
    LinkageCandidate,
    LinkagePerson,
    RecordStatus,
)
from medrec_catalog.settings import CatalogSettings
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.ids import new_id
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.problems import Conflict, NotFound
from medrec_shared.rules.audit import ACTOR_ID_MAX, staff_access, staff_acted
from medrec_shared.rules.contracts import PersonDemographics, RecordDemographics
from medrec_shared.rules.events import EventData, RecordLinked, RecordUnlinked
from medrec_shared.rules.staff_acts import deciding_person, second_approval

ON_NAME_BIRTH_SEX = "name+birth_date+sex"
ON_NAME_BIRTH = "name+birth_date"
# The role a linkage act is done in, as the person's access history names it (보관기관 심사관).
REVIEWER = "reviewer"


class AlreadyDecided(Conflict):
    type, title = "candidate-decided", "This candidate was decided already"


class RecordNotHeld(Conflict):
    type, title = "record-not-held", "The record is no longer held"


class NotLinked(Conflict):
    type, title = "record-not-linked", "The record is not linked to anyone by a linkage decision"


@dataclass(frozen=True)
class Announcement:
    """An event to write to the outbox: its topic (a setting's name), key and payload."""

    topic: Literal["topic_record", "topic_audit"]
    key: str
    data: EventData


class LinkageStore(Protocol):
    async def lock_match(self, match_keys: Iterable[str]) -> None: ...
    async def persons_matching(self, match_key: str) -> Sequence[LinkagePerson]: ...
    async def unmatched_records_matching(
        self, match_keys: Sequence[str]
    ) -> Sequence[CatalogRecord]: ...
    async def upsert_person(self, person: LinkagePerson) -> None: ...
    async def add_candidate(self, candidate: LinkageCandidate) -> bool: ...
    async def candidate_for_update(self, candidate_id: uuid.UUID) -> LinkageCandidate | None: ...
    async def candidates_of_record(self, record_id: uuid.UUID) -> Sequence[LinkageCandidate]: ...
    async def record_for_update(self, record_id: uuid.UUID) -> CatalogRecord | None: ...


def matched_on(person: LinkagePerson, match_key: str) -> str | None:
    """What a record's key matched of the person: all three, name and birth date alone (a record
    of unknown sex), or nothing."""
    if person.match_key == match_key:
        return ON_NAME_BIRTH_SEX
    if person.match_key_any_sex == match_key:
        return ON_NAME_BIRTH
    return None


def new_candidate(
    record: CatalogRecord, person: LinkagePerson, on: str, now: datetime
) -> LinkageCandidate:
    return LinkageCandidate(
        candidate_id=new_id(),
        record_id=record.record_id,
        person_key=person.person_key,
        person_id=person.person_id,
        matched_on=on,
        status=CandidateStatus.pending,
        created_at=now,
    )


def is_unmatched(record: CatalogRecord) -> bool:
    return (
        record.person_key is None
        and record.match_key is not None
        and record.status == RecordStatus.available
    )


async def propose_for_record(store: LinkageStore, record: CatalogRecord, now: datetime) -> int:
    """A record without an RRN arrived: a candidate for every verified person it matches."""
    if not is_unmatched(record):
        return 0
    assert record.match_key is not None
    await store.lock_match([record.match_key])
    proposed = 0
    for person in await store.persons_matching(record.match_key):
        on = matched_on(person, record.match_key)
        if on is not None and await store.add_candidate(new_candidate(record, person, on, now)):
            proposed += 1
    return proposed


async def propose_for_arrival(session: AsyncSession, record: CatalogRecord, now: datetime) -> int:
    """`propose_for_record` in the caller's transaction: the record catalog has just taken in
    (records/handlers.py) gets its candidates."""
    return await propose_for_record(LinkageRepository(session), record, now)


async def propose_for_keyed_record(
    store: LinkageStore, record_id: uuid.UUID, match_key: str, now: datetime
) -> int:
    """A record deposited without an RRN before match keys existed got its key
    (RecordMatchKeyAssigned): proposed as if it had come with it. A record linked, destroyed or
    withdrawn since, or unknown here, is left alone."""
    record = await store.record_for_update(record_id)
    if record is None or record.person_key is not None or record.status != RecordStatus.available:
        return 0
    record.match_key = match_key
    return await propose_for_record(store, record, now)


async def propose_for_person(store: LinkageStore, person: LinkagePerson, now: datetime) -> int:
    """A person verified: remembered (ids and match keys), and a candidate for every unmatched
    record they match that was not proposed for them before."""
    keys = sorted({person.match_key, person.match_key_any_sex})
    await store.lock_match(keys)
    await store.upsert_person(person)
    proposed = 0
    for record in await store.unmatched_records_matching(keys):
        assert record.match_key is not None
        on = matched_on(person, record.match_key)
        if on is not None and await store.add_candidate(new_candidate(record, person, on, now)):
            proposed += 1
    return proposed


def _access(
    by: Principal,
    person_key: str,
    action: Literal["view", "link", "unlink"],
    kind: str,
    id_: str,
) -> Announcement:
    """In the person's access history: the organisation and role, never who."""
    return Announcement(
        "topic_audit", person_key, staff_access(by, REVIEWER, action, kind, id_, person_key)
    )


def _act(
    by: Principal, act: str, candidate: LinkageCandidate, reason: str | None = None
) -> Announcement:
    """In the audit trail: who did it."""
    event = staff_acted(
        by,
        f"linkage_candidate.{act}",
        "linkage_candidate",
        str(candidate.candidate_id),
        subject_key=candidate.person_key,
        reason=reason,
    )
    return Announcement("topic_audit", event.actor, event)


def viewed(by: Principal, candidate: LinkageCandidate) -> list[Announcement]:
    """A reviewer saw the person's demographics beside a record's: in their access history and
    in the audit trail."""
    return [
        _access(by, candidate.person_key, "view", "linkage_candidate", str(candidate.candidate_id)),
        _act(by, "view", candidate),
    ]


async def _pending(store: LinkageStore, candidate_id: uuid.UUID) -> LinkageCandidate:
    candidate = await store.candidate_for_update(candidate_id)
    if candidate is None:
        raise NotFound("No such linkage candidate.")
    if candidate.status != CandidateStatus.pending:
        raise AlreadyDecided(f"It was {candidate.status} already; a decision is final.")
    return candidate


def _decide(
    candidate: LinkageCandidate,
    status: CandidateStatus,
    reason: str | None,
    operator: str,
    now: datetime,
) -> None:
    candidate.status, candidate.reason = status, reason
    candidate.decided_at, candidate.decided_by = now, operator


async def approve(
    store: LinkageStore, candidate_id: uuid.UUID, *, reason: str, by: Principal, now: datetime
) -> tuple[LinkageCandidate, list[Announcement]]:
    """The first reviewer's approval proposes the link; another reviewer's confirms it: the
    record is linked to its person and the record's other candidates are closed."""
    candidate = await _pending(store, candidate_id)
    record = await store.record_for_update(candidate.record_id)
    if record is None or record.status != RecordStatus.available:
        raise RecordNotHeld("It was destroyed or withdrawn since it was proposed.")
    if record.person_key is not None:  # not reachable by these rules: a link closes the rest
        raise AlreadyDecided("The record is linked already.")
    if not second_approval(candidate.proposed_by, by):
        candidate.proposed_by, candidate.proposed_at = by.accountable[:ACTOR_ID_MAX], now
        candidate.proposal_reason = reason
        return candidate, [_act(by, "propose_link", candidate, reason)]
    operator = by.accountable[:ACTOR_ID_MAX]
    _decide(candidate, CandidateStatus.approved, reason, operator, now)
    record.person_key = candidate.person_key
    for other in await store.candidates_of_record(record.record_id):
        if other.candidate_id != candidate.candidate_id and other.status == CandidateStatus.pending:
            _decide(other, CandidateStatus.closed, None, operator, now)
    return candidate, [
        # Keyed by the record, as its RecordUnlinked is: the two reach ingest in order.
        Announcement(
            "topic_record",
            str(record.record_id),
            RecordLinked(
                record_id=record.record_id,
                person_key=candidate.person_key,
                candidate_id=candidate.candidate_id,
            ),
        ),
        _access(by, candidate.person_key, "link", "record", str(record.record_id)),
        _act(by, "approve_link", candidate, reason),
    ]


async def reject(
    store: LinkageStore, candidate_id: uuid.UUID, *, reason: str, by: Principal, now: datetime
) -> tuple[LinkageCandidate, list[Announcement]]:
    """Not this person's record: it stays unmatched (its other candidates stay pending). One
    reviewer decides it, a proposal to link or not."""
    deciding_person(by)
    candidate = await _pending(store, candidate_id)
    _decide(candidate, CandidateStatus.rejected, reason, by.accountable[:ACTOR_ID_MAX], now)
    return candidate, [_act(by, "reject", candidate, reason)]


async def unlink(
    store: LinkageStore, record_id: uuid.UUID, *, reason: str, by: Principal, now: datetime
) -> tuple[LinkageCandidate, list[Announcement]]:
    """Undoes a wrong link: the record leaves its person and is unmatched again; the candidates
    the approval closed are pending again."""
    deciding_person(by)
    operator = by.accountable[:ACTOR_ID_MAX]
    record = await store.record_for_update(record_id)
    if record is None or record.status != RecordStatus.available:
        raise NotFound("No such record held.")
    candidates = await store.candidates_of_record(record_id)
    approved = [c for c in candidates if c.status == CandidateStatus.approved]
    if not approved or record.person_key != approved[0].person_key:
        raise NotLinked("Only a record linked by an approved candidate is unlinked.")
    link = approved[0]
    link.status = CandidateStatus.unlinked
    link.unlinked_at, link.unlinked_by, link.unlink_reason = now, operator, reason
    record.person_key = None
    for other in candidates:
        if other.status == CandidateStatus.closed:
            other.status, other.decided_at, other.decided_by = CandidateStatus.pending, None, None
            other.proposed_by, other.proposed_at, other.proposal_reason = None, None, None
    return link, [
        Announcement(
            "topic_record",
            str(record_id),
            RecordUnlinked(record_id=record_id, candidate_id=link.candidate_id),
        ),
        _access(by, link.person_key, "unlink", "record", str(record_id)),
        _act(by, "unlink", link, reason),
    ]


def _demographics(side: RecordDemographics | PersonDemographics | None) -> Demographics | None:
    if side is None:
        return None
    return Demographics(name=side.name, birth_date=side.birth_date, sex=side.sex)


@dataclass(kw_only=True)
class LinkageReview:
    """The reviewers' review: one candidate shown (an audited read), approved (by two), rejected,
    or its link undone. Works in the caller's session; what a decision announces goes to the outbox
    there."""

    settings: CatalogSettings
    demographics: DemographicsSources

    def _announce(self, session: AsyncSession, announcements: list[Announcement]) -> None:
        for a in announcements:
            announce(session, getattr(self.settings, a.topic), a.key, a.data)

    @staticmethod
    async def _one(session: AsyncSession, candidate_id: uuid.UUID) -> CandidateRow:
        rows = await LinkageRepository(session).listed(None, 1, None, candidate_id=candidate_id)
        if not rows:
            raise NotFound("No such linkage candidate.")
        return rows[0]

    async def candidate(self, session: AsyncSession, candidate_id: uuid.UUID) -> CandidateOut:
        return candidate_out(await self._one(session, candidate_id))

    async def show(
        self, session: AsyncSession, candidate_id: uuid.UUID, by: Principal
    ) -> CandidateDetail:
        """The candidate with the record's and the person's demographics side by side; the read
        is in the person's access history (as 보관기관 심사관) and in the audit trail."""
        row = await self._one(session, candidate_id)
        candidate = row[0]
        record_side = await self.demographics.of_record(candidate.record_id)
        person_side = await self.demographics.of_person(candidate.person_id)
        self._announce(session, viewed(by, candidate))
        return CandidateDetail(
            **candidate_out(row).model_dump(),
            record_demographics=_demographics(record_side),
            person_demographics=_demographics(person_side),
            reason=candidate.reason,
            unlinked_at=candidate.unlinked_at,
            unlink_reason=candidate.unlink_reason,
        )

    async def approve(
        self,
        session: AsyncSession,
        candidate_id: uuid.UUID,
        *,
        reason: str,
        by: Principal,
        now: datetime,
    ) -> CandidateOut:
        _, announcements = await approve(
            LinkageRepository(session), candidate_id, reason=reason, by=by, now=now
        )
        self._announce(session, announcements)
        return await self.candidate(session, candidate_id)

    async def reject(
        self,
        session: AsyncSession,
        candidate_id: uuid.UUID,
        *,
        reason: str,
        by: Principal,
        now: datetime,
    ) -> CandidateOut:
        _, announcements = await reject(
            LinkageRepository(session), candidate_id, reason=reason, by=by, now=now
        )
        self._announce(session, announcements)
        return await self.candidate(session, candidate_id)

    async def unlink(
        self,
        session: AsyncSession,
        record_id: uuid.UUID,
        *,
        reason: str,
        by: Principal,
        now: datetime,
    ) -> UnlinkedOut:
        link, announcements = await unlink(
            LinkageRepository(session), record_id, reason=reason, by=by, now=now
        )
        self._announce(session, announcements)
        return UnlinkedOut(record_id=record_id, candidate_id=link.candidate_id, status=link.status)
