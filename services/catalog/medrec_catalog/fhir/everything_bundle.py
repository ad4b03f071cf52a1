"""A person's records as one KR Core `searchset` Bundle (`Patient/{id}/$everything`).

- Only the subject's own (the citizen's, or the child's a guardian token acts for): another id
  is answered as if it did not exist (404), so that a person id's existence does not leak.
- What is listed is decided, and the read recorded in the subject's access history (one line per
  call), in the request's transaction, before the first byte goes out; the Bundle is then written
  entry by entry as each record's content comes from ingest, one record in memory at a time.
- Structured records are converted (`clinical.krcore_out`), a deposited FHIR bundle's resources
  adopted with ids of their own, any other content (PDF, images, text) is a DocumentReference
  whose attachment URL is the ITI-68 URL (`Binary/{record_id}`) and, beside it, that Binary
  with the content itself: the entry's fullUrl is the attachment's URL, so the file resolves it
  inside the Bundle and stands on its own in another system. The Binary's base64 is written as
  the content streams from ingest, in constant memory. Every id is stable across calls.
- The RRN is in the Patient only when the caller asked (`_include-rrn=true`): the flag is in the
  URL, the number never is.
"""

import base64
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.models import CatalogRecord, Institution
from medrec_catalog.records.service import RecordCursor, RecordFilter, records_of
from medrec_catalog.settings import CatalogSettings
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.problems import NotFound
from medrec_shared.rules.audit import access_event
from medrec_shared.rules.clients import IdentityClient, IngestClient
from medrec_shared.rules.clients.ingest import ContentGone
from medrec_shared.rules.clinical import (
    FHIR_CONTENT_TYPE,
    STRUCTURED_RECORD_CONTENT_TYPE,
    parse_structured_record,
)
from medrec_shared.rules.clinical.krcore_out import (
    RecordContext,
    Resource,
    adopt_bundle,
    organization_resource,
    patient_resource,
    record_resources,
)
from medrec_shared.rules.contracts import Me
from medrec_shared.rules.fhir_systems import RECORD_ID_SYSTEM, RECORD_KIND_SYSTEM, SPECIALTY_SYSTEM

log = get_logger(__name__)
PAGE: Final = 500  # records read per query while listing the subject's records
CONVERTED: Final = frozenset({STRUCTURED_RECORD_CONTENT_TYPE, FHIR_CONTENT_TYPE})

Row = tuple[CatalogRecord, Institution | None]


@dataclass(frozen=True)
class Export:
    """What one call sends: the subject and their shown records, newest care first."""

    me: Me
    rows: list[Row]


def binary_url(base: str, record_id: uuid.UUID) -> str:
    """The ITI-68 URL of a record's content (d30-responder serves it)."""
    return f"{base}/Binary/{record_id}"


@dataclass(kw_only=True)
class Everything:
    settings: CatalogSettings
    ingest: IngestClient  # content:read, purpose fhir_export
    identity: IdentityClient  # called with the subject's own token

    async def prepare(
        self,
        session: AsyncSession,
        principal: Principal,
        person_id: uuid.UUID,
        *,
        bearer: str,
        include_rrn: bool,
    ) -> Export:
        """The subject's records, listed and recorded (not committed: the caller's session)."""
        if principal.person_key is None or principal.subject != str(person_id):
            raise NotFound("No such patient.")
        rows: list[Row] = []
        after: RecordCursor | None = None
        while True:
            page = await records_of(
                session, principal.person_key, filters=RecordFilter(), limit=PAGE, after=after
            )
            rows.extend(page)
            if len(page) < PAGE:
                break
            last = page[-1][0]
            after = RecordCursor(last.service_end, last.record_id)
        me = await self.identity.me(bearer, include_rrn=include_rrn)
        announce(
            session,
            self.settings.topic_audit,
            principal.person_key,
            access_event(principal, "download", "fhir_everything", f"{len(rows)} records"),
        )
        return Export(me=me, rows=rows)

    async def stream(self, export: Export, base: str) -> AsyncIterator[bytes]:
        """The Bundle's JSON, written as each record's content arrives."""
        head = {
            "resourceType": "Bundle",
            "id": str(uuid.uuid4()),  # a search's answer: its entries' ids are the stable ones
            "type": "searchset",
            "link": [
                {"relation": "self", "url": f"{base}/Patient/{export.me.person_id}/$everything"}
            ],
        }
        # the head without its closing brace, then the entries as they come
        yield json.dumps(head, separators=(",", ":"))[:-1].encode() + b',"entry":['
        me = export.me
        subject = patient_resource(
            me.person_id, name=me.name, gender=me.sex, birth_date=me.birth_date, rrn=me.rrn
        )
        yield _entry(base, subject, "match", first=True)
        seen: set[str] = set()
        for record, institution in export.rows:
            if record.institution_code not in seen:
                seen.add(record.institution_code)
                organization = organization_resource(
                    record.institution_code, institution.name if institution else None
                )
                yield _entry(base, organization, "include")
        for record, _ in export.rows:
            resources = await self._resources(record, str(me.person_id), base)
            for resource in resources:
                yield _entry(base, resource, "include")
            if resources and resources[-1]["resourceType"] == "DocumentReference":
                async for chunk in self._binary(base, record):
                    yield chunk
        yield b"]}"

    async def _binary(self, base: str, record: CatalogRecord) -> AsyncIterator[bytes]:
        """The record's content as a Binary entry, its base64 written chunk by chunk (a
        multiple of 3 bytes at a time, so that the pieces join into one valid encoding). Content
        withdrawn since it was listed has no Binary (ingest says so before the first byte)."""
        chunks = self.ingest.content(record.record_id, "fhir_export")
        try:
            pending = await anext(chunks)
        except ContentGone:
            log.warning("everything_content_gone", record_id=str(record.record_id))
            return
        except StopAsyncIteration:
            pending = b""
        entry = _entry(
            base,
            {"resourceType": "Binary", "id": str(record.record_id), "contentType": ""},
            "include",
        )
        # the entry split where `data` goes: `…"contentType":""` | `},"search":{…}}`
        head, tail = entry.split(b'"contentType":""}', 1)
        yield head + b'"contentType":' + json.dumps(record.content_type).encode() + b',"data":"'
        async for chunk in chunks:
            pending += chunk
            whole = len(pending) - len(pending) % 3
            if whole:
                yield base64.b64encode(pending[:whole])
                pending = pending[whole:]
        yield base64.b64encode(pending) + b'"}' + tail

    async def _resources(self, record: CatalogRecord, patient_id: str, base: str) -> list[Resource]:
        ctx = RecordContext(
            record_id=record.record_id,
            patient_id=patient_id,
            institution_code=record.institution_code,
            service_start=record.service_start,
            service_end=record.service_end,
        )
        if record.content_type in CONVERTED:
            try:
                content = b"".join(
                    [c async for c in self.ingest.content(record.record_id, "fhir_export")]
                )
            except ContentGone:  # withdrawn or destroyed since it was listed
                return []
            try:
                if record.content_type == FHIR_CONTENT_TYPE:
                    return adopt_bundle(json.loads(content), ctx)
                return record_resources(parse_structured_record(content), ctx)
            except ValueError:
                # Checked at deposit; one that no longer reads (a schema since retired) is still
                # the person's: sent as a document rather than left out.
                log.warning("everything_content_unreadable", record_id=str(record.record_id))
        return [document_reference(record, ctx, base)]


def document_reference(record: CatalogRecord, ctx: RecordContext, base: str) -> Resource:
    """A record sent as it is (PDF, image, text): its metadata, and its content's ITI-68 URL. Its
    id is the record id, as the Document Responder's (ITI-67) is."""
    attachment: Resource = {
        "contentType": record.content_type,
        "url": binary_url(base, record.record_id),
        "size": record.size,
    }
    if record.title:
        attachment["title"] = record.title
    resource: Resource = {
        "resourceType": "DocumentReference",
        "id": str(record.record_id),
        "identifier": [{"system": RECORD_ID_SYSTEM, "value": str(record.record_id)}],
        "status": "current",
        "category": [{"coding": [{"system": RECORD_KIND_SYSTEM, "code": record.kind}]}],
        "subject": ctx.patient,
        "custodian": ctx.organization,
        "content": [{"attachment": attachment}],
        "context": {
            "period": {
                "start": record.service_start.isoformat(),
                "end": record.service_end.isoformat(),
            },
            "practiceSetting": {"coding": [{"system": SPECIALTY_SYSTEM, "code": record.specialty}]},
        },
    }
    if record.title:
        resource["description"] = record.title
    return resource


def _entry(base: str, resource: Resource, mode: str, *, first: bool = False) -> bytes:
    entry: dict[str, Any] = {
        "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": mode},
    }
    text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    return (text if first else "," + text).encode()
