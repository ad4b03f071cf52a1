"""IHE MHD Document Responder over the token subject's records (a citizen's own, or the child's a
guardian acts for): the same who-may-see-what as `records.service`, in FHIR.

- ITI-67 finds the subject's shown records only. A `patient` that is not the subject's person_id,
  or a `patient.identifier` whose RRN is not the subject's, finds an empty searchset (never a
  403): whether an id or an RRN is known to medrec does not leak. The RRN is resolved to a person
  key by identity (which holds the keyed-hash key) and is never logged or echoed; `next` links
  carry `patient=<person_id>` instead.
- Each search is one line in the subject's access history, as `GET /v1/me/records` is (how many
  records, never which).
- ITI-68 retrieves a record of the subject's only (any other id: 404, as if it were not held),
  streamed from ingest (purpose `citizen_download`, which ingest records too) without holding it,
  recorded as a download in the subject's access history, committed before the first byte."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.fhir.documents import document_reference, searchset
from medrec_catalog.fhir.search import DocumentQuery
from medrec_catalog.models import CatalogRecord
from medrec_catalog.records.service import (
    cursor_from,
    page_cursor,
    record_of,
    records_of,
    subject_key,
)
from medrec_catalog.settings import CatalogSettings
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.pages import page_of
from medrec_shared.platform.problems import NotFound, ValidationFailed
from medrec_shared.rules.audit import access_event
from medrec_shared.rules.clients import IdentityClient, IngestClient
from medrec_shared.rules.clients.ingest import ContentGone
from medrec_shared.rules.rrn import InvalidRRN, normalise_rrn


@dataclass(frozen=True)
class Retrieval:
    record: CatalogRecord
    content: AsyncIterator[bytes]


async def _chained(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for chunk in rest:
        yield chunk


@dataclass(kw_only=True)
class DocumentResponder:
    settings: CatalogSettings
    identity: IdentityClient  # scope person-keys:read: an RRN's person key
    ingest: IngestClient  # scope content:read: a record's plaintext

    async def _is_subject(self, principal: Principal, query: DocumentQuery) -> bool:
        if query.patient is not None and query.patient != principal.subject:
            return False
        if query.patient_rrn is None:
            return True
        try:
            rrn = normalise_rrn(query.patient_rrn)
        except InvalidRRN:
            raise ValidationFailed(
                "A search parameter is not valid.",
                errors=[{"field": "patient.identifier", "message": "not a valid RRN"}],
            ) from None
        return await self.identity.person_key(rrn) == subject_key(principal)

    async def find(
        self, session: AsyncSession, principal: Principal, query: DocumentQuery, *, base: str
    ) -> dict[str, Any]:
        """A searchset Bundle of one page of the subject's records, newest care first."""
        person_key = subject_key(principal)
        after = cursor_from(query.cursor)
        reachable = not query.matches_nothing and await self._is_subject(principal, query)
        rows = (
            await records_of(
                session, person_key, filters=query.filters, limit=query.count + 1, after=after
            )
            if reachable
            else []
        )
        page = page_of(
            rows,
            query.count,
            lambda row: document_reference(*row, base=base, person_id=principal.subject),
            lambda row: page_cursor(row[0]),
        )
        announce(
            session,
            self.settings.topic_audit,
            person_key,
            access_event(principal, "list", "records", f"{len(page.items)} records"),
        )
        echoed = list(query.echoed)
        if query.patient is None:  # found by patient.identifier: the links name the person_id
            echoed.insert(0, ("patient", principal.subject))
        echoed.append(("_count", str(query.count)))
        url = f"{base}/DocumentReference?"
        return searchset(
            page.items,
            base=base,
            self_url=url
            + urlencode(echoed + ([("_cursor", query.cursor)] if query.cursor else [])),
            next_url=url + urlencode([*echoed, ("_cursor", page.next_cursor)])
            if page.next_cursor
            else None,
        )

    async def retrieve(
        self, session: AsyncSession, principal: Principal, record_id: uuid.UUID
    ) -> Retrieval:
        """The subject's record and its content as it streams; NotFound for anything else."""
        person_key = subject_key(principal)
        record = await record_of(session, person_key, record_id, "No such document.")
        stream = self.ingest.content(record_id, purpose="citizen_download")
        try:
            first = await anext(stream)
        except ContentGone:
            raise NotFound("No such document.") from None
        except StopAsyncIteration:
            first = b""
        announce(
            session,
            self.settings.topic_audit,
            person_key,
            access_event(principal, "download", "record", str(record_id)),
        )
        return Retrieval(record=record, content=_chained(first, stream))

    async def aclose(self) -> None:
        await self.identity.aclose()
        await self.ingest.aclose()
