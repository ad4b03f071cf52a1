"""What a deposit must satisfy beyond its single fields: fields that must agree, and the content
itself (its signature, a structured record's schema, a FHIR bundle against KR Core 2.0 and the
record's patient, its digest and size).

Every refusal is a `ValidationFailed` (or `ContentTooLarge`) problem with field errors, and no
message repeats the refused value: it may be an RRN, a name or clinical content.
"""

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from medrec_ingest.deposit.schemas import (
    BatchLine,
    DeclaredContent,
    InlineContent,
    PatientIn,
    RecordIn,
)
from medrec_ingest.fields import FieldErrors, base_type, error
from medrec_ingest.settings import IngestSettings
from medrec_shared.platform.problems import ContentTooLarge, ValidationFailed
from medrec_shared.rules.clinical import (
    FHIR_CONTENT_TYPE,
    STRUCTURED_RECORD_CONTENT_TYPE,
    parse_structured_record,
)
from medrec_shared.rules.clinical.krcore import PatientClaim, claim_of, krcore_problems
from medrec_shared.rules.records import Specialty
from medrec_shared.rules.rrn import parse_rrn

M = TypeVar("M", bound=BaseModel)

STRUCTURED_TYPES = frozenset({STRUCTURED_RECORD_CONTENT_TYPE, FHIR_CONTENT_TYPE})
SNIFF_BYTES = 1024  # PDF allows leading bytes before %PDF- within the first 1024
_SAFE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_CONTENT_TAGS = frozenset({"inline", "declared"})
_SPECIALTY_TAGS = frozenset(s.value for s in Specialty)
#: Fields of a structured record whose checks (rules.clinical) state a fixed rule, never the
#: value: their messages are passed on as they are.
_RULE_MESSAGES = frozenset(
    {
        "admissions",
        "bills",
        "discharged_on",
        "inpatient_kind",
        "patient_total",
        "payments",
        "to",
        "total",
        "unit_price",
    }
)


# -- pydantic errors as field errors ------------------------------------------------------------
def _field(loc: Iterable[Any], prefix: str) -> str:
    """A location as the field's name, a list's item by its index: `content.bills[0].total`."""
    parts = [prefix] if prefix else []
    previous = prefix
    for part in loc:
        if isinstance(part, int):
            if parts:
                parts[-1] += f"[{part}]"
            else:
                parts.append(f"[{part}]")
        elif previous == "content" and part in _CONTENT_TAGS:
            continue  # the inline / declared form: not a field
        elif prefix == "content" and previous == "content" and part in _SPECIALTY_TAGS:
            continue  # a structured record's specialty tag: not a field
        else:
            # A key the client made up is named only when it cannot be personal data.
            parts.append(part if _SAFE_KEY.match(part) else "?")
        previous = parts[-1] if parts else ""
    return ".".join(parts) or "body"


def _content_message(err: Any) -> str:
    """Messages of the shared clinical schema's own validators may quote the value (a tooth
    number, a tag): replace them with fixed texts."""
    kind = err.get("type", "")
    loc = [str(p) for p in err.get("loc", ())]
    if kind == "union_tag_invalid":
        return f"must be one of: {err.get('ctx', {}).get('expected_tags', '')}"
    if kind in ("value_error", "assertion_error"):
        if loc and loc[-1] == "tooth":
            return "is not an FDI tooth number (11–48 permanent, 51–85 primary)"
        if loc and loc[-1] == "tooth_chart":
            return "names a tooth more than once"
        if loc and loc[-1] in _RULE_MESSAGES:
            return _message(err)
        return "is not valid"
    return str(err.get("msg", "is not valid"))


def _message(err: Any) -> str:
    message = str(err.get("msg", "is not valid"))
    return message.removeprefix("Value error, ")


def field_errors(exc: ValidationError, *, prefix: str = "", content: bool = False) -> FieldErrors:
    out = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = list(err.get("loc", ()))
        if content and err.get("type") in ("union_tag_invalid", "union_tag_not_found"):
            loc.append("specialty")
        message = _content_message(err) if content else _message(err)
        out.append(error(_field(loc, prefix), message))
    return out


# -- records ------------------------------------------------------------------------------------
def cross_field_errors(record: RecordIn, today: date) -> FieldErrors:
    """Dates in order, and an RRN that agrees with the birth date it comes with. (The sex a
    record states is kept as sent, even where the RRN's digit says otherwise.)"""
    errors = []
    if record.service_end < record.service_start:
        errors.append(error("service_end", "must not be before service_start"))
    patient = record.patient
    if patient.birth_date > record.service_start:
        errors.append(error("patient.birth_date", "must not be after service_start"))
    if patient.rrn is not None and parse_rrn(patient.rrn, today=today)[1] != patient.birth_date:
        errors.append(
            error("patient.birth_date", "does not match the resident registration number")
        )
    return errors


def parse_record(raw: bytes, model: type[M], today: date) -> M:
    """A record (or batch line) from JSON, or `ValidationFailed` naming every bad field. Dates
    in the future are ones after `today` (in Korea, by the service's clock)."""
    try:
        record = model.model_validate_json(raw, context={"today": today})
    except ValidationError as exc:
        raise ValidationFailed(errors=field_errors(exc)) from None
    assert isinstance(record, RecordIn)
    errors = cross_field_errors(record, today)
    if isinstance(record, BatchLine) and not isinstance(record.content, InlineContent):
        message = "a batch line carries inline content; declare larger content with PUT …"
        errors.append(error("content", message + "/records/{external_id} and stream it"))
    if errors:
        raise ValidationFailed(errors=errors)
    return record


METADATA_ALLOWANCE = 64 * 1024  # a record's JSON beyond its base64 content


def body_limit(settings: IngestSettings) -> int:
    """The largest body of one record (PUT or a batch line): its inline content in base64, and
    its metadata."""
    return 4 * -(-settings.inline_content_max_bytes // 3) + METADATA_ALLOWANCE


def check_declared(content: DeclaredContent, settings: IngestSettings) -> None:
    """Declared content within the limits: of any content, and of structured content, which is
    held whole while it is validated."""
    if content.size > settings.content_max_bytes:
        raise ContentTooLarge(
            errors=[error("content.size", f"is limited to {settings.content_max_bytes} bytes")]
        )
    limit = settings.structured_content_max_bytes
    if base_type(content.content_type) in STRUCTURED_TYPES and content.size > limit:
        raise ContentTooLarge(
            errors=[error("content.size", f"structured content is limited to {limit} bytes")]
        )


def inline_limit_error(limit: int) -> ContentTooLarge:
    return ContentTooLarge(
        errors=[
            error(
                "content.data_base64",
                f"inline content is limited to {limit} bytes; declare it {{content_type, size, "
                "sha256}} and stream it to PUT …/records/{external_id}/content",
            )
        ]
    )


def decode_inline(content: InlineContent, limit: int) -> bytes:
    if len(content.data_base64) > 4 * -(-limit // 3):
        raise inline_limit_error(limit)
    try:
        data = base64.b64decode(content.data_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(
            errors=[error("content.data_base64", "is not valid base64 (standard alphabet)")]
        ) from None
    if len(data) > limit:
        raise inline_limit_error(limit)
    return data


# -- content ------------------------------------------------------------------------------------
def _signature_ok(kind: str, head: bytes) -> bool:
    if kind == "application/pdf":
        return b"%PDF-" in head[:SNIFF_BYTES]
    if kind == "image/jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if kind == "image/png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "image/tiff":
        return head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
    if kind == "application/dicom":
        return head[128:132] == b"DICM"  # DICOM Part 10: 128-byte preamble, then DICM
    return True


def signature_errors(content_type: str, head: bytes, field: str) -> FieldErrors:
    kind = base_type(content_type)
    if _signature_ok(kind, head):
        return []
    return [error(field, f"does not look like {kind}: its first bytes are not that format's")]


def patient_claim(patient: PatientIn) -> PatientClaim:
    """The record's patient fields, which a KR Core bundle's Patient must match."""
    return claim_of(patient.rrn, patient.name, patient.birth_date, patient.sex)


def document_errors(
    content_type: str, data: bytes, specialty: str, claim: PatientClaim | None = None
) -> FieldErrors:
    """A structured record against its schema (and the record's specialty); a FHIR bundle
    against KR Core 2.0 and the record's patient (`claim`), each problem at
    `content.<FHIRPath>`. Other types have no document check."""
    kind = base_type(content_type)
    if kind == STRUCTURED_RECORD_CONTENT_TYPE:
        try:
            document = parse_structured_record(data)
        except ValidationError as exc:
            return field_errors(exc, prefix="content", content=True)
        if document.specialty != specialty:
            return [error("content.specialty", "differs from the record's specialty")]
    elif kind == FHIR_CONTENT_TYPE:
        return [error(field, message) for field, message in krcore_problems(data, claim)]
    return []


def check_content(
    content_type: str, data: bytes, specialty: str, claim: PatientClaim | None = None
) -> None:
    errors = signature_errors(content_type, data[:SNIFF_BYTES], "content.data_base64")
    errors = errors or document_errors(content_type, data, specialty, claim)
    if errors:
        raise ValidationFailed(errors=errors)


class StreamCheck:
    """Checks content as it streams past: never more than declared, the format's signature, a
    structured document whole (held up to `hold_limit`), then size and digest at the end.

    `update` and `finish` raise `ValidationFailed`; raised inside the upload, that aborts it.
    """

    def __init__(
        self,
        *,
        size: int,
        sha256: str,
        content_type: str,
        specialty: str,
        hold_limit: int,
        claim: PatientClaim | None = None,
    ) -> None:
        self.size = size
        self.sha256 = sha256
        self.content_type = content_type
        self.specialty = specialty
        self.claim = claim  # the record's patient, for a KR Core bundle
        self.received = 0
        #: The content's SHA-256 so far; the vault takes it rather than hashing it again.
        self.digest = hashlib.sha256()
        self._head = bytearray()
        self._sniffed = False
        self._held: bytearray | None = None
        if base_type(content_type) in STRUCTURED_TYPES:
            if size > hold_limit:
                raise ContentTooLarge(
                    errors=[error("size", f"structured content is limited to {hold_limit} bytes")]
                )
            self._held = bytearray()

    def update(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received > self.size:
            raise ValidationFailed(errors=[error("body", "is longer than the declared size")])
        self.digest.update(chunk)
        if not self._sniffed:
            self._head += chunk[: SNIFF_BYTES - len(self._head)]
            if len(self._head) >= SNIFF_BYTES:
                self._sniff()
        if self._held is not None:
            self._held += chunk

    def _sniff(self) -> None:
        self._sniffed = True
        errors = signature_errors(self.content_type, bytes(self._head), "body")
        if errors:
            raise ValidationFailed(errors=errors)

    def finish(self) -> None:
        if not self._sniffed:
            self._sniff()
        if self.received != self.size:
            raise ValidationFailed(errors=[error("body", "is shorter than the declared size")])
        if self.digest.hexdigest() != self.sha256:
            raise ValidationFailed(
                errors=[error("body", "does not match the declared sha256 and Content-Digest")]
            )
        if self._held is not None:
            errors = document_errors(
                self.content_type, bytes(self._held), self.specialty, self.claim
            )
            self._held = None
            if errors:
                raise ValidationFailed(errors=errors)
