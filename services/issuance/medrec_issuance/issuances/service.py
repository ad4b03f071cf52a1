"""Certified copies and the documents made from records, the rules: a request names only the
subject's own records (or the subject's records at an institution); a document made from their
entries holds something, or is refused before anything is stored (`issuances.documents`); a copy
is downloaded by its requester while it is ready and unexpired; a destroyed record takes the stored
copies that include it along. Every act on a copy goes to the subject's access log.

`Issuances` holds the collaborators; its methods, like the functions here, take the caller's
session and never commit: the request (or the event handler) owns the transaction."""

import secrets
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_issuance.access import RequesterKey, may_copy_record, may_see_issuance
from medrec_issuance.documents.limits import PURGED_RECORD_UNLINKED
from medrec_issuance.issuances.documents import (
    DocumentPlan,
    Selection,
    plan_document,
    require_valid_selection,
)
from medrec_issuance.issuances.repository import IssuanceRepository
from medrec_issuance.models import Issuance, IssuanceStatus
from medrec_issuance.settings import IssuanceSettings
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.ids import new_id
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.problems import (
    Gone,
    NotFound,
    Problem,
    Unauthorized,
    ValidationFailed,
)
from medrec_shared.platform.tracing import current_traceparent
from medrec_shared.platform.vault import Vault
from medrec_shared.rules.audit import access_event
from medrec_shared.rules.contracts import CatalogedRecord, DocumentFacts, RecordSummary
from medrec_shared.rules.documents import DocumentType
from medrec_shared.rules.events import AccessRecorded, IssuanceRequested

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand


class NotReady(Problem):
    status, type, title = 409, "not-ready", "The copy is not ready yet"


COPY = Selection()  # a certified copy of the records named


@dataclass(frozen=True)
class NewIssuance:
    requester_subject: str
    requester_actor: str | None
    subject_person_key: str
    subject_name: str
    record_ids: list[uuid.UUID]
    purpose: str | None
    # What is issued, and the selection a document was asked with (`record_ids` then holds the
    # records it draws on); a copy's defaults otherwise.
    selection: Selection = COPY
    requester_person_key: str | None = None  # whom its notices go to


def mask_name(name: str) -> str:
    """As on Korean certificates: 홍길동 → 홍*동, 김수 → 김*, longer names keep first and last."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def new_number(now: datetime) -> str:
    return f"MR-{now:%Y%m%d}-{secrets.token_hex(4).upper()}"


def new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


class RecordLookup(Protocol):
    """What a request needs of catalog: a record's metadata, None when it does not know it;
    a person's available records (at an institution)."""

    async def record(self, record_id: uuid.UUID) -> CatalogedRecord | None: ...

    async def records_of(
        self, person_key: str, institution: str | None
    ) -> Sequence[RecordSummary]: ...


class FactsLookup(Protocol):
    """What a document needs of ingest: the dates and amounts of the structured records."""

    async def document_facts(self, record_ids: Sequence[uuid.UUID]) -> list[DocumentFacts]: ...


class SubjectNames(Protocol):
    """What a request needs of identity: the subject's name, read with the caller's token."""

    async def subject_name(self, bearer: str) -> str: ...


async def issuance_of(
    session: AsyncSession, principal: Principal, issuance_id: uuid.UUID
) -> Issuance:
    """The principal's own issuance; anyone else's is not found."""
    issuance = await IssuanceRepository(session).get(issuance_id)
    if issuance is None or not may_see_issuance(principal, issuance):
        raise NotFound("No such issuance.")
    return issuance


async def issuances_of(
    session: AsyncSession, principal: Principal, *, limit: int, after: uuid.UUID | None
) -> Sequence[Issuance]:
    """The principal's issuances, `limit` of them from `after`."""
    return await IssuanceRepository(session).list_of(RequesterKey.of(principal), limit, after)


@dataclass(kw_only=True)
class Issuances:
    """Certified copies and documents asked for, previewed and downloaded: the collaborators
    held once (the composition root builds it), each method given the caller's session and the
    request's own data."""

    settings: IssuanceSettings
    clock: Clock
    vault: Vault
    catalog: RecordLookup
    identity: SubjectNames
    facts: FactsLookup

    async def start(
        self, session: AsyncSession, new: NewIssuance, audit: AccessRecorded
    ) -> Issuance:
        """Records the request and hands rendering to the worker; the subject's access log
        learns who asked. Used by citizens and guardians, and by operators approving a proxy
        request."""
        now = self.clock.now()
        issuance = Issuance(
            issuance_id=new_id(),
            requester_subject=new.requester_subject,
            requester_actor=new.requester_actor,
            requester_person_key=new.requester_person_key,
            subject_person_key=new.subject_person_key,
            subject_name_masked=mask_name(new.subject_name),
            record_ids=new.record_ids,
            purpose=new.purpose,
            document_type=new.selection.document_type.value,
            institution_code=new.selection.institution_code,
            period_from=new.selection.period.start if new.selection.period else None,
            period_to=new.selection.period.end if new.selection.period else None,
            include_diagnoses=new.selection.include_diagnoses,
            status=IssuanceStatus.pending,
            traceparent=current_traceparent(),
            issuance_number=new_number(now),
            verification_code=new_code(),
            institutions=[],
            created_at=now,
        )
        await IssuanceRepository(session).add(issuance)
        announce(
            session,
            self.settings.topic_issuance,
            issuance.issuance_id,
            IssuanceRequested(issuance_id=issuance.issuance_id, record_count=len(new.record_ids)),
        )
        audit = audit.model_copy(update={"resource_id": str(issuance.issuance_id)})
        announce(session, self.settings.topic_audit, new.subject_person_key, audit)
        return issuance

    async def request(
        self,
        session: AsyncSession,
        principal: Principal,
        *,
        bearer: str,
        selection: Selection,
        purpose: str | None,
    ) -> Issuance:
        """A citizen's (or a guardian's, for the child) request for a copy of their own
        records, or for a document made from them; a document with nothing to show is refused
        (`NothingToShow`) before anything is stored."""
        if selection.document_type == DocumentType.record_copy:
            record_ids = list(await self._selected(principal, selection))
        else:
            record_ids = (await self.plan(principal, selection)).record_ids
        assert principal.person_key is not None  # checked by the two above
        name = await self.identity.subject_name(bearer)
        return await self.start(
            session,
            NewIssuance(
                requester_subject=principal.subject,
                requester_actor=principal.actor,
                # the guardian's own key when acting for a child: the notices are theirs
                requester_person_key=principal.actor_person_key or principal.person_key,
                subject_person_key=principal.person_key,
                subject_name=name,
                record_ids=record_ids,
                purpose=purpose,
                selection=selection,
            ),
            access_event(principal, "issuance_request", "issuance", "pending"),
        )

    async def preview(
        self, session: AsyncSession, principal: Principal, selection: Selection
    ) -> DocumentPlan:
        """What the document asked for would hold; the look is in the subject's access log."""
        require_valid_selection(selection)  # a bad body names all its fields first
        if selection.document_type == DocumentType.record_copy:
            raise ValidationFailed(
                errors=[{"field": "document_type", "message": "a copy has no preview"}]
            )
        plan = await self.plan(principal, selection)
        assert principal.person_key is not None
        event = access_event(principal, "view", "document_preview", selection.document_type.value)
        announce(session, self.settings.topic_audit, principal.person_key, event)
        return plan

    async def plan(self, principal: Principal, selection: Selection) -> DocumentPlan:
        """What a document made from the selected records would hold, or `NothingToShow`."""
        records = await self._selected(principal, selection)
        record_ids = list(records)
        facts = await self.facts.document_facts(record_ids) if record_ids else []
        return plan_document(selection, record_ids, facts, records)

    async def _selected(self, principal: Principal, selection: Selection) -> dict[uuid.UUID, str]:
        """The selected records of the subject, in order, with their institutions' names:
        those named (each the subject's own: another's is indistinguishable from none), or the
        subject's available records at the institution."""
        if principal.person_key is None:
            raise Unauthorized("A citizen token is required.")
        require_valid_selection(selection)
        if selection.record_ids is None:
            assert selection.institution_code is not None
            found = await self.catalog.records_of(principal.person_key, selection.institution_code)
            return {r.record_id: r.institution.name or r.institution.code for r in found}
        records: dict[uuid.UUID, str] = {}
        for record_id in dict.fromkeys(selection.record_ids):
            record = await self.catalog.record(record_id)
            if record is None or not may_copy_record(principal, record):
                raise NotFound(f"No record {record_id} among yours.")
            records[record_id] = record.institution.name or record.institution.code
        return records

    async def download(
        self, session: AsyncSession, principal: Principal, issuance_id: uuid.UUID
    ) -> tuple[Issuance, AsyncIterator[bytes]]:
        """The requester's copy as a stream of the decrypted PDF; the download is logged for
        the subject in the same transaction."""
        issuance = await issuance_of(session, principal, issuance_id)
        check_downloadable(issuance, self.clock.now())
        assert issuance.object_key and issuance.kek_id and issuance.wrapped_dek
        announce(
            session,
            self.settings.topic_audit,
            issuance.subject_person_key,
            access_event(principal, "download", "issuance", str(issuance.issuance_id)),
        )
        return issuance, self.vault.get(issuance.object_key, issuance.kek_id, issuance.wrapped_dek)


def check_downloadable(issuance: Issuance, now: datetime) -> None:
    """A copy is downloaded while it is ready and unexpired; a purged one is gone for good."""
    if issuance.status == IssuanceStatus.purged:
        if issuance.failure_reason == PURGED_RECORD_UNLINKED:
            raise Gone(
                "A record in this copy was found to be another person's and was taken from "
                "the requester; the copy was destroyed with it."
            )
        raise Gone(
            "A record in this copy reached the end of its retention period and was "
            "destroyed with it."
        )
    if issuance.status != IssuanceStatus.ready:
        raise NotReady(f"The copy is {issuance.status_at(now)}.")
    assert issuance.expires_at and issuance.object_key and issuance.kek_id and issuance.wrapped_dek
    if issuance.expired(now):
        raise Gone("The copy has expired; request a new one.")
