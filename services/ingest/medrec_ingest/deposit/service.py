"""Depositing records: from a validated request to a row and an encrypted object, and the short
write that records the result and announces it (the judgement of repeats: judgement.py).

Functions that take a session never commit: the caller opens each (short) transaction and
passes its session. `Deposits` (one record, a declared record's content streamed to it: `upload`,
the repeats) opens its own short transactions around object storage, which happens
between transactions, never inside one.
"""

import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_ingest.deposit.judgement import expired_on_arrival, judge
from medrec_ingest.deposit.repository import OwnedRecord, RecordRepository
from medrec_ingest.deposit.schemas import BatchStatus, DeclaredContent, RecordIn, RecordOut
from medrec_ingest.deposit.upload import ContentHeaders, header_errors, parse_content_digest
from medrec_ingest.deposit.validation import StreamCheck
from medrec_ingest.fields import RRN_LIKE, base_type
from medrec_ingest.models import DepositProblem, Record, RecordStatus, Segment, Transfer
from medrec_ingest.records.rules import TAKES_CONTENT, content_taken, event_key, is_stored
from medrec_ingest.segments.service import add_segment, segment_key
from medrec_ingest.settings import IngestSettings
from medrec_ingest.transfers.service import closed, count_if_open, writable_transfer
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.clock import Clock, korean_date
from medrec_shared.platform.crypto import blind_index, seal, unseal
from medrec_shared.platform.db import Transactions
from medrec_shared.platform.ids import new_id
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.messaging import announce, write_announcements
from medrec_shared.platform.problems import Conflict, ContentTooLarge, NotFound, ValidationFailed
from medrec_shared.platform.vault import StoredContent, Vault
from medrec_shared.rules.clinical import FHIR_CONTENT_TYPE
from medrec_shared.rules.clinical.krcore import PatientClaim, claim_of
from medrec_shared.rules.events import RecordStored
from medrec_shared.rules.linkage import match_key

PATIENT_CONTEXT = b"ingest.patient"
log = get_logger(__name__)


class RecordConflict(Conflict):
    type, title = "record-conflict", "A different record was deposited under this external_id"


def conflict_problem() -> RecordConflict:
    return RecordConflict("Use a new external_id for a different record.")


Refusal = tuple[str | None, str]
"""A refused deposit as staff see it: its external_id (None when unknown or RRN-like) and the
problem's title."""
PROBLEM_TITLE_MAX = 200


def refusal(external_id: str | None, title: str) -> Refusal:
    """Never an RRN (a client may have sent one as an external_id, which is why it was refused)."""
    shown = None if external_id is None or RRN_LIKE.match(external_id) else external_id[:200]
    return shown, title[:PROBLEM_TITLE_MAX]


@dataclass
class Candidate:
    """A valid record not yet written: its row, and its content when it came inline."""

    record: Record
    data: bytes | None  # None: the content is declared and will be streamed

    @property
    def external_id(self) -> str:
        return self.record.external_id

    @property
    def fingerprint(self) -> str:
        return self.record.fingerprint


def fingerprint(settings: IngestSettings, body: RecordIn, content_type: str, sha256: str) -> str:
    """Keyed digest of everything deposited: equal for an identical repeat (inline or declared),
    and not a brute-forceable hash of the patient's details."""
    deposited = body.model_dump(mode="json", exclude={"content", "external_id"})
    deposited |= {"content_type": content_type, "sha256": sha256}
    canonical = json.dumps(deposited, sort_keys=True, ensure_ascii=False)
    key = settings.person_index_key.get_secret_value().encode()
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def new_candidate(
    settings: IngestSettings,
    vault: Vault,
    *,
    transfer: Transfer,
    external_id: str,
    body: RecordIn,
    data: bytes | None,
    now: datetime,
) -> Candidate:
    if isinstance(body.content, DeclaredContent):
        size, sha256 = body.content.size, body.content.sha256
        status = RecordStatus.awaiting_content
    else:
        assert data is not None
        size, sha256, status = len(data), hashlib.sha256(data).hexdigest(), RecordStatus.stored
    patient = body.patient
    index_key = settings.person_index_key.get_secret_value().encode()
    sealed = json.dumps({"rrn": patient.rrn, "name": patient.name}, ensure_ascii=False).encode()
    record = Record(
        record_id=new_id(),
        transfer_id=transfer.transfer_id,
        institution_code=transfer.institution_code,
        external_id=external_id,
        person_key=blind_index(index_key, patient.rrn) if patient.rrn else None,
        match_key=None
        if patient.rrn
        else match_key(index_key, patient.name, patient.birth_date, patient.sex),
        patient_sealed=seal(vault.keyring, sealed, context=PATIENT_CONTEXT),
        birth_date=patient.birth_date,
        sex=patient.sex,
        kind=body.kind.value,
        specialty=body.specialty.value,
        title=body.title,
        department=body.department,
        service_start=body.service_start,
        service_end=body.service_end,
        content_type=body.content.content_type,
        size=size,
        sha256=sha256,
        fingerprint=fingerprint(settings, body, body.content.content_type, sha256),
        status=status,
        object_key=None,
        kek_id=None,
        wrapped_dek=None,
        stored_at=None,
        created_at=now,
    )
    return Candidate(record, data)


async def record_by_id(session: AsyncSession, record_id: uuid.UUID) -> Record | None:
    """The record with this id, whatever its status (None when there is no such row)."""
    return await RecordRepository(session).get(record_id)


async def stored_records(session: AsyncSession, record_ids: Sequence[uuid.UUID]) -> list[Record]:
    """Those of these records that are held and stored (content in); the others are left out."""
    return await RecordRepository(session).stored_among(record_ids)


def content_wanted(record: Record, digest: str) -> bool:
    """Whether content with `digest` given for `record` is to be taken: False for a repeat of
    the content it has; `RecordConflict` for other content than it has; `Conflict` when it
    takes no content any more (withdrawn)."""
    if is_stored(record):
        if digest != record.sha256:
            raise conflict_problem()
        return False
    if record.status != TAKES_CONTENT:
        raise Conflict(f"The record is {record.status}; its content cannot be given.")
    return True


def record_out(record: Record) -> RecordOut:
    return RecordOut.model_validate(record, from_attributes=True)


def object_key(record_id: uuid.UUID, upload: uuid.UUID | None = None) -> str:
    """Ids only: storage operators can see keys. Streamed uploads get a key of their own, so two
    concurrent uploads of one record never overwrite each other."""
    return f"records/{record_id}" if upload is None else f"records/{record_id}/{upload}"


async def store_inline(vault: Vault, candidate: Candidate, now: datetime) -> None:
    """Encrypts the inline content into the bucket; the row then points at it."""
    assert candidate.data is not None
    record = candidate.record
    stored = await vault.put_whole(object_key(record.record_id), candidate.data, record.sha256)
    _attach(record, stored, now)


async def store_packed(vault: Vault, candidates: Sequence[Candidate], now: datetime) -> Segment:
    """Encrypts the inline contents of a batch group into one segment, each under its own data
    key; each row then points at its span. The segment's row goes in with the records
    (`write_new`)."""
    key = segment_key()
    contents = [(c.data or b"", c.record.sha256) for c in candidates]  # digests by new_candidate
    stored = await vault.put_segment(key, contents)
    for candidate, content in zip(candidates, stored, strict=True):
        _attach(candidate.record, content, now)
    size = sum(s.span.length for s in stored if s.span)
    return Segment(object_key=key, size=size, created_at=now)


def _attach(record: Record, stored: StoredContent, now: datetime) -> None:
    record.object_key, record.kek_id, record.wrapped_dek = (
        stored.object_key,
        stored.kek_id,
        stored.wrapped_dek,
    )
    if stored.span is not None:
        record.content_offset, record.content_length = stored.span.offset, stored.span.length
    content_taken(record, now)


def announce_stored(session: AsyncSession, settings: IngestSettings, record: Record) -> None:
    key = event_key(record.record_id, record.person_key)
    announce(session, settings.topic_record, key, stored_event(record))


def stored_event(record: Record) -> RecordStored:
    return RecordStored(
        record_id=record.record_id,
        transfer_id=record.transfer_id,
        institution_code=record.institution_code,
        person_key=record.person_key,
        kind=record.kind,
        specialty=record.specialty,
        service_start=record.service_start,
        service_end=record.service_end,
        content_type=record.content_type,
        size=record.size,
        sha256=record.sha256,
        match_key=record.match_key if record.person_key is None else None,
    )


async def write_new(
    session: AsyncSession,
    *,
    settings: IngestSettings,
    transfer_id: uuid.UUID,
    candidates: Sequence[Candidate],
    today: date,
    failed: int = 0,
    segment: Segment | None = None,
    refusals: Sequence[Refusal] = (),
    now: datetime | None = None,
) -> set[uuid.UUID]:
    """Inserts the candidates whose external_id is still free, counts them (and `failed`
    refusals) on the transfer, and announces the stored ones; returns the ids inserted. Those
    past their retention period `today` are counted as expired on arrival. The `segment` their
    content is in goes in with them, unless none of them did.

    Refuses with `TransferClosed` (the caller's transaction then rolls back, the outbox rows
    with it) once the transfer is no longer open. Rows and their outbox rows go in before the
    transfer's row is locked for its counts: inserts are ordered by external_id, and the
    transfer lock is taken last, so concurrent deposits and a completion cannot deadlock, and
    the lock that every deposit into the transfer waits for is held only until the commit."""
    inserted = await RecordRepository(session).insert_new([c.record for c in candidates])
    created = [c.record for c in candidates if c.record.record_id in inserted]
    if segment is not None and created:
        add_segment(session, segment)
    stored = [r for r in created if is_stored(r)]
    for record in stored:
        announce_stored(session, settings, record)
    await write_announcements(session)  # before the transfer's lock, held until the commit
    if (created or failed) and not await count_if_open(
        session,
        transfer_id,
        received=len(created),
        stored=len(stored),
        failed=failed,
        expired=sum(expired_on_arrival(r, today) for r in stored),
        size=sum(r.size for r in stored),
    ):
        raise closed()
    if refusals and now is not None:
        add_refusals(session, transfer_id, refusals, now)
    return inserted


async def write_content(
    session: AsyncSession,
    *,
    settings: IngestSettings,
    record: Record,
    stored: StoredContent,
    now: datetime,
) -> bool:
    """A declared record's content is in and verified: the record is stored, counted and
    announced. False when another upload of the same record was first."""
    records = RecordRepository(session)
    if not await records.mark_stored(record.record_id, stored, now):
        return False
    if record.person_key is None:
        # Read back under the row's lock: the backfill (linkage/backfill.py) may have given a
        # record deposited before match keys existed its key since `record` was read.
        record.match_key = await records.match_key(record.record_id)
    _attach(record, stored, now)
    # The event before the transfer's lock (as in write_new); a closed transfer rolls it back.
    announce_stored(session, settings, record)
    await write_announcements(session)
    if not await count_if_open(
        session,
        record.transfer_id,
        stored=1,
        expired=int(expired_on_arrival(record, korean_date(now))),
        size=record.size,
    ):
        raise closed()
    return True


async def count_failed(
    session: AsyncSession,
    transfer_id: uuid.UUID,
    n: int = 1,
    refusals: Sequence[Refusal] = (),
    *,
    now: datetime,
) -> None:
    """Counts refused deposits on the transfer (not once it is closed: its counts are final),
    and keeps what each was (`refusals`) for staff following the transfer."""
    if await count_if_open(session, transfer_id, failed=n):
        add_refusals(session, transfer_id, refusals, now)


def add_refusals(
    session: AsyncSession, transfer_id: uuid.UUID, refusals: Sequence[Refusal], now: datetime
) -> None:
    session.add_all(
        DepositProblem(transfer_id=transfer_id, external_id=e, problem=t, occurred_at=now)
        for e, t in refusals
    )


@dataclass(kw_only=True)
class Deposits:
    """Deposits into open transfers: one record, a declared record's content, a batch
    (batch.py). Opens its own short transactions around object storage."""

    transactions: Transactions
    settings: IngestSettings
    vault: Vault
    clock: Clock

    def candidate(
        self,
        transfer: Transfer,
        external_id: str,
        body: RecordIn,
        data: bytes | None,
        now: datetime,
    ) -> Candidate:
        return new_candidate(
            self.settings, self.vault, transfer=transfer, external_id=external_id, body=body,
            data=data, now=now,
        )  # fmt: skip

    async def count_failed(
        self, transfer_id: uuid.UUID, refusals: Sequence[Refusal], n: int | None = None
    ) -> None:
        """Counts refused deposits on the transfer (`n`, or one per refusal), in a transaction
        of its own."""
        count = len(refusals) if n is None else n
        async with self.transactions.begin() as session:
            await count_failed(session, transfer_id, count, refusals, now=self.clock.now())

    async def deposit_one(
        self, client_id: str, held: OwnedRecord | None, candidate: Candidate, now: datetime
    ) -> tuple[Record, bool]:
        """One record deposited (PUT): stored and written if its external_id is free, else
        judged against the record `held` under it. Returns the record as it stands and whether
        it was created; `RecordConflict` (counted as a refusal) for another record under its
        external_id."""
        if held is not None:
            return await self._repeat(client_id, held, candidate, now), False

        if candidate.data is not None:
            # Between transactions: no connection held while the content is stored.
            await store_inline(self.vault, candidate, now)
        transfer_id = candidate.record.transfer_id
        try:
            async with self.transactions.begin() as session:
                inserted = await write_new(
                    session, settings=self.settings,
                    transfer_id=transfer_id, candidates=[candidate], today=korean_date(now),
                )  # fmt: skip
        except BaseException:
            await self._discard(candidate)
            raise
        if candidate.record.record_id in inserted:
            return candidate.record, True

        # Deposited concurrently under the same id: the other request won; ours leaves no trace.
        await self._discard(candidate)
        async with self.transactions.begin() as session:
            found = await RecordRepository(session).find(
                candidate.record.institution_code, [candidate.external_id]
            )
        winner = found[candidate.external_id]
        return await self._repeat(client_id, winner, candidate, now), False

    async def take_upload(self, record: Record, stored: StoredContent, now: datetime) -> Record:
        """Takes a declared record's uploaded content (stored, counted, announced) in a short
        transaction, and returns the record as it stands. When another upload of the same
        (verified, identical) content was first, ours leaves no object."""
        try:
            async with self.transactions.begin() as session:
                first = await write_content(
                    session, settings=self.settings, record=record,
                    stored=stored, now=now,
                )  # fmt: skip
        except BaseException:
            await self.vault.delete(stored.object_key)
            raise
        if first:
            return record
        await self.vault.delete(stored.object_key)
        async with self.transactions.begin() as session:
            current = await RecordRepository(session).get(record.record_id)
        assert current is not None
        return current

    async def upload(
        self,
        principal: Principal,
        transfer_id: uuid.UUID,
        external_id: str,
        headers: ContentHeaders,
        body: Callable[[StreamCheck], AsyncIterator[bytes]],
    ) -> tuple[Record, bool]:
        """A declared record's content streamed to `…/content` (`body` gives it, each chunk
        passed to the check it is handed): checked against the declaration as it arrives,
        encrypted into the bucket, then taken. Returns the record as it stands and whether this
        upload's content was taken (False: the same content was in already). A refusal
        (invalid, too large, other content than the stored) is counted on the transfer."""
        async with self.transactions.begin() as session:
            transfer = await writable_transfer(session, transfer_id, principal)
            record = await RecordRepository(session).by_external_id(
                transfer.institution_code, external_id
            )
        if record is None or record.transfer_id != transfer.transfer_id:
            raise NotFound("No such record in this transfer.")
        try:
            digest = parse_content_digest(headers.content_digest)
            if not content_wanted(record, digest):
                return record, False
            errors = header_errors(record, digest, headers)
            if errors:
                raise ValidationFailed(errors=errors)
            check = StreamCheck(
                size=record.size,
                sha256=record.sha256,
                content_type=record.content_type,
                specialty=record.specialty,
                hold_limit=self.settings.structured_content_max_bytes,
                claim=self._claim(record),
            )
            key = object_key(record.record_id, new_id())
            # Straight from the body: the vault seals each piece into its S3 part in place.
            # A read-ahead task regrouping the body into 1 MiB blocks cost a copy of every byte
            # (13% of ingest's CPU on a 1 GiB upload, py-spy); the parts in flight keep the
            # store busy while the body is read.
            stored = await self.vault.put(key, body(check), digested=check.digest)
        except (ValidationFailed, ContentTooLarge, Conflict) as refused:
            if not isinstance(refused, Conflict) or refused.type == RecordConflict.type:
                await self.count_failed(transfer_id, [refusal(record.external_id, refused.title)])
            log.info("content_refused", transfer_id=str(transfer_id), problem=refused.type)
            raise
        # Judged by the day the content is in: a large upload may take hours.
        current = await self.take_upload(record, stored, self.clock.now())
        return current, current is record  # else another upload of it was recorded first

    def _claim(self, record: Record) -> PatientClaim | None:
        """A declared KR Core bundle's patient claim: the record's sealed patient fields (only
        opened for FHIR content, and only in memory)."""
        if base_type(record.content_type) != FHIR_CONTENT_TYPE:
            return None
        sealed = unseal(self.vault.keyring, record.patient_sealed, context=PATIENT_CONTEXT)
        patient = json.loads(sealed)
        return claim_of(patient["rrn"], patient["name"], record.birth_date, record.sex)

    async def give_inline_content(self, record: Record, data: bytes, now: datetime) -> Record:
        """A declared record repeated with its content inline (same digest): the content is
        taken as if it had been streamed to `…/content`."""
        # Same digest as declared (judged a repeat by its fingerprint): record.sha256 is its own.
        stored = await self.vault.put_whole(
            object_key(record.record_id, new_id()), data, record.sha256
        )
        return await self.take_upload(record, stored, now)

    async def _repeat(
        self, client_id: str, held: OwnedRecord, candidate: Candidate, now: datetime
    ) -> Record:
        """An unchanged repeat changes nothing (but gives declared content that came inline);
        any other record under the external_id is a conflict, counted as a refusal."""
        if judge(held, candidate.fingerprint, client_id) is BatchStatus.unchanged:
            record = held.record
            if record.status == TAKES_CONTENT and candidate.data is not None:
                record = await self.give_inline_content(record, candidate.data, now)
            return record
        problem = conflict_problem()
        external_id = candidate.record.external_id
        await self.count_failed(candidate.record.transfer_id, [refusal(external_id, problem.title)])
        raise problem

    async def _discard(self, candidate: Candidate) -> None:
        if candidate.record.object_key is not None:
            await self.vault.delete(candidate.record.object_key)
