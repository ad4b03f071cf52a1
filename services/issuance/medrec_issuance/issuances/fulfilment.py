"""The worker's part of an issuance, fulfilling it: gather the records, have the copy (or the
document its type names, `document_spec`) rendered and signed (`documents.confined`, in a child
process with a memory cap, started ahead of the copy), keep it encrypted, and announce it.

The worker never holds a record's content or the copy whole: content that is only listed is not
read at all (its stored size and SHA-256 come from catalog), rendered content is refused by its
stored size before any download and otherwise streamed into the child, and the signed copy is
streamed from the child into the vault. A copy over its limits fails with the reason the citizen
reads; the same records would fail the same way, so it is never left to be retried.

Every record must still be the copy's subject's: catalog's owner of each is compared with the
copy's subject before rendering and again just before the copy is stored, since an operator may
unlink a record (or it may be destroyed) while the copy waits or renders. A record that is no
longer theirs fails the copy and nothing is stored: a copy is never made for the wrong person.

Making a copy (`make`) opens no transaction and takes no session: it moves content (from
ingest, into the child, out of it into the vault) for up to the render's timeout, and a
transaction open that long would hold the copy's row and a connection. `issuances.rendering`
claims the copy before, in a short transaction of its own, and records what `make` returns
after, in another (`ready` or `fail`). The methods that take a session write in it and never
commit."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_issuance.documents import CoverPage, RecordDocument
from medrec_issuance.documents.confined import CopyJob, Refused, Renderers
from medrec_issuance.documents.limits import (
    RECORD_GONE,
    RECORD_NOT_THE_SUBJECTS,
    content_too_large,
    record_too_large,
)
from medrec_issuance.documents.models import DocumentSpec
from medrec_issuance.documents.render import is_rendered
from medrec_issuance.issuances.repository import TO_MAKE, IssuanceRepository
from medrec_issuance.models import Issuance, IssuanceStatus
from medrec_issuance.notices import ask_notice
from medrec_issuance.settings import IssuanceSettings
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.vault import StoredContent, Vault
from medrec_shared.rules.clients import CatalogClient, ContentGone, IngestClient
from medrec_shared.rules.contracts import CatalogedRecord
from medrec_shared.rules.documents import DocumentType
from medrec_shared.rules.events import IssuanceFailed, IssuanceReady
from medrec_shared.rules.notices import NoticeKind

log = get_logger(__name__)


def document_spec(issuance: Issuance) -> DocumentSpec | None:
    """What the render child makes of the records: None for a certified copy (as before
    documents had types), else the document and the selection it was asked with."""
    if issuance.document_type == DocumentType.record_copy:
        return None
    return DocumentSpec(
        document_type=issuance.document_type,
        period_from=issuance.period_from,
        period_to=issuance.period_to,
        include_diagnoses=issuance.include_diagnoses,
        purpose=issuance.purpose,
        receipt=issuance.facts,
    )


@dataclass(frozen=True)
class IssuerPem:
    """The issuer's private key and certificate, for the process that signs."""

    key_pem: bytes
    cert_pem: bytes


@dataclass(frozen=True)
class Made:
    """A copy signed and stored, not yet the issuance's."""

    stored: StoredContent
    pages: int
    institutions: list[str]
    issued_at: datetime


@dataclass(frozen=True)
class Unmade:
    """The copy cannot be made: `reason` is what the citizen reads."""

    reason: str


@dataclass(kw_only=True)
class Fulfilment:
    settings: IssuanceSettings
    catalog: CatalogClient
    ingest: IngestClient
    vault: Vault
    issuer: IssuerPem
    clock: Clock
    renderers: Renderers  # the confined children, one kept ready ahead of the next copy

    @staticmethod
    def _document(record_id: uuid.UUID, meta: CatalogedRecord) -> RecordDocument:
        """The record as catalog describes it, without its content."""
        return RecordDocument(
            record_id=str(record_id),
            institution_name=meta.institution.name or meta.institution.code,
            institution_code=meta.institution.code,
            kind=meta.kind,
            specialty=meta.specialty,
            title=meta.title,
            service_start=meta.service_start,
            service_end=meta.service_end,
            department=meta.department,
            content_type=meta.content_type,
            size=meta.size,
            sha256=meta.sha256,
        )

    async def _documents(self, issuance: Issuance) -> list[RecordDocument] | str:
        """The copy's records as catalog describes them now, or the reason the copy cannot hold
        them: one is gone, or is no longer the subject's."""
        documents = []
        for record_id in issuance.record_ids:
            meta = await self.catalog.record(record_id)
            if meta is None:  # destroyed or withdrawn since the request
                return RECORD_GONE
            if meta.person_key != issuance.subject_person_key:  # unlinked since
                return RECORD_NOT_THE_SUBJECTS
            documents.append(self._document(record_id, meta))
        return documents

    def _over_limits(self, documents: list[RecordDocument]) -> str | None:
        """A reason when the stored sizes alone put the copy over its limits."""
        limits = self.settings.copy_limits()
        total = 0
        for position, document in enumerate(documents, start=1):
            if not is_rendered(document.content_type):
                continue
            if document.size > limits.record_bytes:
                return record_too_large(position, limits.record_bytes)
            total += document.size
            if total > limits.content_bytes:
                return content_too_large(limits.content_bytes)
        return None

    async def still_the_subjects(self, issuance: Issuance) -> str | None:
        """None while every record of the copy is still the subject's; otherwise the reason the
        copy cannot hold them (asked again just before an outcome is recorded)."""
        documents = await self._documents(issuance)
        return documents if isinstance(documents, str) else None

    async def make(self, issuance: Issuance, object_key: str) -> Made | Unmade:
        """The copy made, signed and stored at `object_key`, or the reason it cannot be. Opens
        no transaction: `issuance` is read, never changed (the caller records the outcome)."""
        documents = await self._documents(issuance)
        if isinstance(documents, str):
            return Unmade(documents)
        if reason := self._over_limits(documents):
            return Unmade(reason)
        now = self.clock.now()  # the cover's issue time, the signing time and `ready_at`
        # A transfer's receipt has no records: its institution is the one it names.
        institutions = list(dict.fromkeys(d.institution_name for d in documents)) or list(
            issuance.institutions
        )
        cover = CoverPage(
            issuance_number=issuance.issuance_number,
            verification_code=issuance.verification_code,
            verify_url=f"{self.settings.verify_page_url}"
            f"?number={issuance.issuance_number}&code={issuance.verification_code}",
            issued_at=now,
            subject_name_masked=issuance.subject_name_masked,
            institutions=institutions,
        )
        job = CopyJob(
            cover,
            documents,
            self.settings.copy_limits(),
            self.issuer.key_pem,
            self.issuer.cert_pem,
            document_spec(issuance),
        )
        child = await self.renderers.start(job)
        try:
            for document in documents:
                if is_rendered(document.content_type):
                    await child.send(self.ingest.content(uuid.UUID(document.record_id)))
            outcome = await child.outcome(self.settings.render_timeout_seconds)
            if isinstance(outcome, Refused):
                log.warning("copy_refused", issuance_id=str(issuance.issuance_id))
                return Unmade(outcome.reason)
            # The render took a while: a record unlinked or destroyed meanwhile must not be
            # stored for this subject.
            if reason_now := await self.still_the_subjects(issuance):
                log.warning("copy_records_changed", issuance_id=str(issuance.issuance_id))
                return Unmade(reason_now)
            stored = await self.vault.put(object_key, child.pdf())
        except ContentGone:  # catalog had not heard yet: the same as gone from catalog
            return Unmade(RECORD_GONE)
        finally:
            await child.close()
        return Made(stored, outcome.pages, institutions, now)

    async def ready(self, session: AsyncSession, issuance: Issuance, made: Made) -> None:
        """The copy made is the issuance's: stored, downloadable, announced."""
        issuance.object_key, issuance.kek_id, issuance.wrapped_dek = (
            made.stored.object_key,
            made.stored.kek_id,
            made.stored.wrapped_dek,
        )
        issuance.status, issuance.pages = IssuanceStatus.ready, made.pages
        issuance.sha256 = made.stored.sha256
        issuance.institutions = made.institutions
        issuance.ready_at = made.issued_at
        issuance.expires_at = made.issued_at + timedelta(days=self.settings.copy_valid_days)
        announce(
            session,
            self.settings.topic_issuance,
            issuance.issuance_id,
            IssuanceReady(
                issuance_id=issuance.issuance_id, pages=made.pages, sha256=issuance.sha256
            ),
        )
        if issuance.requester_person_key is not None:  # whoever asked is told (copy_ready)
            ask_notice(
                session,
                self.settings,
                issuance.requester_person_key,
                NoticeKind.copy_ready,
                f"copy:{issuance.issuance_id}",
                {"number": issuance.issuance_number},
            )

    async def fail(self, session: AsyncSession, issuance: Issuance, reason: str) -> None:
        """The copy will not be made: `reason` is what the citizen reads."""
        issuance.status, issuance.failure_reason = IssuanceStatus.failed, reason
        announce(
            session,
            self.settings.topic_issuance,
            issuance.issuance_id,
            IssuanceFailed(issuance_id=issuance.issuance_id, reason=reason),
        )

    async def take_record_from_copies(
        self, session: AsyncSession, record_id: uuid.UUID, *, purged: str, failed: str
    ) -> None:
        """No copy may hold the record any more: each stored copy that does is destroyed
        (object and data key) and marked purged with `purged`; each still pending is failed
        with `failed`, before it is rendered, and so is each being rendered (its outcome, when
        it comes, finds it failed and is dropped, its stored copy deleted:
        `issuances.rendering`). Idempotent, so a redelivered event changes nothing more."""
        for issuance in await IssuanceRepository(session).holding(record_id):
            if issuance.status in TO_MAKE:
                await self.fail(session, issuance, failed)
                continue
            assert issuance.object_key is not None
            await self.vault.delete(issuance.object_key)  # idempotent if redelivered
            issuance.object_key = issuance.kek_id = issuance.wrapped_dek = None
            issuance.status, issuance.failure_reason = IssuanceStatus.purged, purged
