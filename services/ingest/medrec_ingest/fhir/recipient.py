"""The MHD Document Recipient: a Provide Document Bundle (ITI-65) deposited all or nothing into
the client's open transfer, through the deposit service the transfer API uses (the same records,
sealing, encryption, outbox events and idempotency by external id: `masterIdentifier`).

Which transfer: the client's open transfer for the institution the DocumentReferences' custodian
names (`identifier` under KR Core's 요양기관기호 system), or, when none is named, the client's
only open transfer. None, or more than one to choose from, refuses the bundle.

All or nothing: every document is read and checked first (provide.py, then each as the transfer
API checks a record); documents already held under their masterIdentifier are judged as repeats
(an identical repeat is answered with the record held, anything else refuses the bundle); the
new ones' contents go into one encrypted segment, then their rows, the segment's and their
RecordStored events are written in one transaction. A failure rolls that back and deletes the
segment, so nothing refers to what was written.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from medrec_ingest.deposit.judgement import judge
from medrec_ingest.deposit.repository import RecordRepository
from medrec_ingest.deposit.schemas import BatchStatus, InlineContent, RecordIn
from medrec_ingest.deposit.service import Candidate, Deposits, store_packed, write_new
from medrec_ingest.deposit.validation import (
    check_content,
    cross_field_errors,
    field_errors,
    patient_claim,
)
from medrec_ingest.fhir.provide import (
    BAD_METADATA,
    DUPLICATE_UNIQUE_ID,
    UNKNOWN_PATIENT,
    Document,
    Submission,
    read_submission,
    refused,
)
from medrec_ingest.fields import FieldErrors, error
from medrec_ingest.models import Record, Transfer
from medrec_ingest.transfers.repository import TransferRepository
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.clock import korean_date
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.problems import Conflict, ValidationFailed

log = get_logger(__name__)


class NoOpenTransfer(Conflict):
    type, title = "no-open-transfer", "No open transfer takes this submission"


class SubmittedConcurrently(Conflict):
    type, title = "submitted-concurrently", "Some documents were deposited concurrently"


@dataclass(frozen=True)
class Provided:
    """One document of the submission as it stands: its record, and whether this request
    created it (False: an identical repeat)."""

    document: Document
    record: Record
    created: bool


def _paths(doc: Document) -> dict[str, str]:
    """A record field (as the transfer API names it) → where it came from in the bundle."""
    p, attachment = doc.paths, doc.paths.attachment
    context = f"{p.document}.context"
    return {
        "patient.rrn": f"{p.patient}.identifier",
        "patient.name": f"{p.patient}.name",
        "patient.birth_date": f"{p.patient}.birthDate",
        "patient.sex": f"{p.patient}.gender",
        "patient": p.patient,
        "kind": f"{p.document}.category",
        "specialty": f"{context}.practiceSetting",
        "title": f"{p.document}.description",
        "service_start": f"{context}.period.start",
        "service_end": f"{context}.period.end",
        "content.content_type": f"{attachment}.contentType",
        "content.data_base64": p.data,
        "content": p.data,
    }


def _located(doc: Document, errors: FieldErrors) -> FieldErrors:
    """Field errors named as the transfer API names them, renamed to their FHIRPath in the
    bundle; content problems (a KR Core bundle's own FHIRPath) keep theirs after the data's."""
    paths = _paths(doc)
    out = []
    for e in errors:
        field = e["field"]
        if field in paths:
            out.append(error(paths[field], e["message"]))
        elif field.startswith("content."):
            inner = field.removeprefix("content.")
            out.append(error(paths["content"], f"{inner}: {e['message']}"))
        else:
            out.append(error(doc.paths.document, e["message"]))
    return out


def _refusal(doc: Document, errors: FieldErrors) -> ValidationFailed:
    """Record-field problems: of the patient's identifier (unknown patient) or of metadata."""
    located = _located(doc, errors)
    patient_id = any(e["field"] == "patient.rrn" for e in errors)
    return refused(UNKNOWN_PATIENT if patient_id else BAD_METADATA, located)


def record_of(doc: Document, now: datetime) -> RecordIn:
    """The document as the transfer API's record, checked as one (fields, dates, content). The
    content is carried beside it (`Document.data`), decoded once: the record's inline form
    stays empty, which its fingerprint leaves out anyway."""
    today = korean_date(now)
    fields = doc.fields | {"content": {"content_type": doc.content_type, "data_base64": ""}}
    try:
        record = RecordIn.model_validate(fields, context={"today": today})
    except ValidationError as exc:
        raise _refusal(doc, field_errors(exc)) from None
    errors = cross_field_errors(record, today)
    if errors:
        raise _refusal(doc, errors)
    assert isinstance(record.content, InlineContent)
    try:
        claim = patient_claim(record.patient)  # a KR Core bundle's Patient must be this one
        check_content(record.content.content_type, doc.data, record.specialty.value, claim)
    except ValidationFailed as exc:
        raise refused(BAD_METADATA, _located(doc, exc.errors or [])) from None
    return record


def choose_transfer(
    open_transfers: list[Transfer], principal: Principal, code: str | None
) -> Transfer:
    """The module docstring's rule."""
    usable = [t for t in open_transfers if t.institution_code in principal.institution_codes]
    if code is not None:
        usable = [t for t in usable if t.institution_code == code]
    if not usable:
        raise NoOpenTransfer(
            "Open a transfer (POST /v1/transfers) for the institution first; nothing was stored."
        )
    if len(usable) > 1:
        raise NoOpenTransfer(
            "More than one open transfer could take it: name the institution in each "
            "DocumentReference.custodian.identifier (요양기관기호); nothing was stored."
        )
    return usable[0]


@dataclass(kw_only=True)
class Recipient:
    deposits: Deposits

    async def provide(
        self, principal: Principal, bundle: Any, now: datetime
    ) -> tuple[Submission, list[Provided]]:
        settings = self.deposits.settings
        submission = read_submission(bundle, content_limit=settings.inline_content_max_bytes)
        records = [(doc, record_of(doc, now)) for doc in submission.documents]
        transactions = self.deposits.transactions
        async with transactions.begin() as session:
            found = await TransferRepository(session).open_for_client(principal.subject)
            transfer = choose_transfer(found, principal, submission.institution_code)
            held = await RecordRepository(session).find(
                transfer.institution_code, [doc.external_id for doc in submission.documents]
            )
        provided: dict[int, Provided] = {}
        new: list[tuple[Document, Candidate]] = []
        conflicts: FieldErrors = []
        for doc, body in records:
            candidate = self.deposits.candidate(transfer, doc.external_id, body, doc.data, now)
            if doc.external_id not in held:
                new.append((doc, candidate))
            elif judge(held[doc.external_id], candidate.fingerprint, principal.subject) is (
                BatchStatus.unchanged
            ):
                provided[doc.entry] = Provided(doc, held[doc.external_id].record, False)
            else:
                conflicts.append(
                    error(f"{doc.paths.document}.masterIdentifier",
                          "names another document already deposited")
                )  # fmt: skip
        if conflicts:
            raise refused(DUPLICATE_UNIQUE_ID, conflicts, "Documents under these uniqueIds "
                          "differ from those deposited; nothing was stored.")  # fmt: skip
        if new:
            for doc, record in await self._write(transfer, new, now):
                provided[doc.entry] = Provided(doc, record, True)
        log.info(
            "fhir_provided", transfer_id=str(transfer.transfer_id),
            created=len(new), unchanged=len(provided) - len(new),
        )  # fmt: skip
        return submission, [provided[doc.entry] for doc in submission.documents]

    async def _write(
        self, transfer: Transfer, new: list[tuple[Document, Candidate]], now: datetime
    ) -> list[tuple[Document, Record]]:
        """Contents first (one segment), then every row in one transaction; on any failure the
        transaction rolls back and the segment is deleted."""
        deposits = self.deposits
        candidates = [c for _, c in new]
        segment = await store_packed(deposits.vault, candidates, now)
        try:
            async with deposits.transactions.begin() as session:
                inserted = await write_new(
                    session, settings=deposits.settings, transfer_id=transfer.transfer_id,
                    candidates=candidates, today=korean_date(now), segment=segment,
                )  # fmt: skip
                if len(inserted) != len(candidates):  # another request took some: roll back
                    raise SubmittedConcurrently(
                        "Some of these documents were deposited by another request meanwhile; "
                        "send the bundle again (what is held is then answered as it is)."
                    )
        except BaseException:
            await deposits.vault.delete(segment.object_key)
            raise
        return [(doc, c.record) for doc, c in new]
