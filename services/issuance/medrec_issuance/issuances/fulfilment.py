"""The worker's part of an issuance, fulfilling it: gather the records, render and sign the copy
(`documents`), keep it encrypted, and announce it.

It runs inside the event handler's transaction (the inbox row and these effects commit together,
see `handlers`): it takes that session and never commits."""

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_issuance.documents import CoverPage, IssuerSigner, RecordDocument, render_copy, sign_pdf
from medrec_issuance.models import Issuance, IssuanceStatus
from medrec_issuance.ports import CatalogPort, ContentGone, IngestPort
from medrec_issuance.settings import IssuanceSettings
from medrec_shared.clock import Clock
from medrec_shared.events import IssuanceFailed, IssuanceReady
from medrec_shared.logs import get_logger
from medrec_shared.messaging import Outbox
from medrec_shared.vault import Vault

log = get_logger(__name__)


@dataclass
class Fulfilment:
    settings: IssuanceSettings
    catalog: CatalogPort
    ingest: IngestPort
    vault: Vault
    signer: IssuerSigner
    outbox: Outbox
    clock: Clock

    async def _document(self, record_id: uuid.UUID) -> RecordDocument | None:
        meta = await self.catalog.record(record_id)
        if meta is None:
            return None
        content = bytearray()
        try:
            async for chunk in self.ingest.content(record_id):
                content.extend(chunk)
        except ContentGone:  # catalog had not heard yet: the same as gone from catalog
            return None
        return RecordDocument(
            record_id=str(record_id),
            institution_name=meta["institution"]["name"] or meta["institution"]["code"],
            institution_code=meta["institution"]["code"],
            kind=meta["kind"],
            specialty=meta["specialty"],
            title=meta["title"],
            service_start=date.fromisoformat(meta["service_start"]),
            service_end=date.fromisoformat(meta["service_end"]),
            department=meta.get("department"),
            content_type=meta["content_type"],
            content=bytes(content),
        )

    async def fulfil(self, session: AsyncSession, issuance: Issuance) -> None:
        """A pending issuance becomes ready (stored, announced) or failed (announced)."""
        documents = []
        for record_id in issuance.record_ids:
            document = await self._document(record_id)
            if document is None:  # destroyed or withdrawn since the request
                await self._fail(session, issuance, "a record is no longer available")
                return
            documents.append(document)
        now = self.clock.now()
        institutions = list(dict.fromkeys(d.institution_name for d in documents))
        cover = CoverPage(
            issuance_number=issuance.issuance_number,
            verification_code=issuance.verification_code,
            verify_url=f"{self.settings.public_url.rstrip('/')}/v1/verify"
            f"?number={issuance.issuance_number}&code={issuance.verification_code}",
            issued_at=now,
            subject_name_masked=issuance.subject_name_masked,
            institutions=institutions,
        )
        try:
            rendered = await asyncio.to_thread(render_copy, cover, documents)
            signed = await asyncio.to_thread(sign_pdf, rendered.pdf, self.signer)
        except Exception as exc:  # the same content fails the same way: retrying cannot help
            log.error("copy_render_failed", error_type=type(exc).__name__)
            await self._fail(session, issuance, "the copy could not be produced")
            return
        stored = await self.vault.put(f"copies/{issuance.issuance_id}", _one(signed))
        issuance.object_key, issuance.kek_id, issuance.wrapped_dek = (
            stored.object_key,
            stored.kek_id,
            stored.wrapped_dek,
        )
        issuance.status, issuance.pages = IssuanceStatus.ready, rendered.pages
        issuance.sha256 = hashlib.sha256(signed).hexdigest()
        issuance.institutions = institutions
        issuance.ready_at = now
        issuance.expires_at = now + timedelta(days=self.settings.copy_valid_days)
        await self.outbox.add(
            session,
            self.settings.topic_issuance,
            issuance.issuance_id,
            IssuanceReady(
                issuance_id=issuance.issuance_id, pages=rendered.pages, sha256=issuance.sha256
            ),
        )

    async def _fail(self, session: AsyncSession, issuance: Issuance, reason: str) -> None:
        issuance.status, issuance.failure_reason = IssuanceStatus.failed, reason
        await self.outbox.add(
            session,
            self.settings.topic_issuance,
            issuance.issuance_id,
            IssuanceFailed(issuance_id=issuance.issuance_id, reason=reason),
        )


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data
