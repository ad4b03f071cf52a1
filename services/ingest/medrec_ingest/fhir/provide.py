"""An ITI-65 Provide Document Bundle (IHE MHD 4.x, Minimal metadata) read into the documents it
submits, pure: no I/O, no clock.

The bundle is a `transaction` holding one SubmissionSet `List` (code `submissionset`, its
`ihe-sourceId` extension and a uniqueId identifier, `entry` naming every DocumentReference),
DocumentReferences, their `Binary`s (by `content.attachment.url`, or `attachment.data` inline),
and the Patient (a bundle entry, or contained and named by `subject` or
`context.sourcePatientInfo`). It is taken or refused whole: every problem found in one phase is
reported at once, each with the FHIRPath of what is wrong (`Bundle.entry[2].resource.…`) and the
IHE error code of its kind. A refusal never quotes a value (it may be an RRN, a name or clinical
content). A Binary's base64 is decoded and dropped from the parsed bundle as it is read, so the
bundle is not held twice.
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any, Final

from medrec_ingest.fields import FieldErrors, base_type, error
from medrec_shared.platform.problems import ContentTooLarge, ValidationFailed
from medrec_shared.rules.fhir_systems import (
    MHD_BASE,
    MHD_SUBMISSION_SET_TYPE_SYSTEM,
    RECORD_KIND_SYSTEM,
    RRN_SYSTEM,
    SPECIALTY_SYSTEM,
)

# ITI TF-3 Table 4.2.4.1-2, as MHD's OperationOutcome carries them
BAD_METADATA: Final = "XDSRegistryMetadataError"
UNKNOWN_PATIENT: Final = "XDSUnknownPatientId"
CONTENT_MISMATCH: Final = "XDSRepositoryMetadataError"  # size or hash other than the content's
DUPLICATE_UNIQUE_ID: Final = "XDSDuplicateUniqueIdInRegistry"
SOURCE_ID_EXTENSION: Final = MHD_BASE + "ihe-sourceId"
#: the custodian's 요양기관기호 (KR Core's identifier system for it)
INSTITUTION_SYSTEM: Final = "http://www.hl7korea.or.kr/Identifier/hira-krnpi"
_GENDERS: Final = {"male": "male", "female": "female", "unknown": "unknown", "other": "unknown"}

Resource = dict[str, Any]


def refused(code: str, errors: FieldErrors, detail: str | None = None) -> ValidationFailed:
    return ValidationFailed(
        detail or "The bundle is not a valid Provide Document Bundle; nothing was stored.",
        errors=errors,
        extra={"iti_code": code},
    )


@dataclass(frozen=True)
class Paths:
    """Where one document's elements are in the request, for the problems that name them."""

    document: str  # Bundle.entry[i].resource
    patient: str
    binary: str | None  # None: the content came as attachment.data

    @property
    def attachment(self) -> str:
        return f"{self.document}.content[0].attachment"

    @property
    def data(self) -> str:
        return f"{self.binary}.data" if self.binary else f"{self.attachment}.data"


@dataclass
class Document:
    """One DocumentReference read: the record fields it gives (as the transfer API's `RecordIn`
    takes them, content aside), its content, and where each came from."""

    entry: int  # the DocumentReference's index in Bundle.entry
    binary_entry: int | None
    external_id: str
    fields: dict[str, Any]
    content_type: str
    data: bytes
    paths: Paths


@dataclass
class Submission:
    documents: list[Document]
    entries: int  # how many entries the request had (the answer has as many)
    list_entry: int
    patient_entries: list[int]
    institution_code: str | None  # from the custodian, when named


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _entry_path(i: int) -> str:
    return f"Bundle.entry[{i}].resource"


def _codes(concept: Any, system: str) -> list[str]:
    """The codes of `system` in a CodeableConcept."""
    if not isinstance(concept, dict):
        return []
    return [
        c["code"]
        for c in _list(concept.get("coding"))
        if isinstance(c, dict) and c.get("system") == system and isinstance(c.get("code"), str)
    ]


class _Index:
    """The bundle's entries by fullUrl and by `Type/id`, so references resolve."""

    def __init__(self, entries: list[Any]) -> None:
        self.by_ref: dict[str, int] = {}
        for i, entry in enumerate(entries):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                continue
            if isinstance(entry.get("fullUrl"), str):
                self.by_ref[entry["fullUrl"]] = i
            if isinstance(resource.get("id"), str):
                self.by_ref[f"{resource.get('resourceType')}/{resource['id']}"] = i

    def find(self, reference: Any) -> int | None:
        if isinstance(reference, dict):
            reference = reference.get("reference")
        return self.by_ref.get(reference) if isinstance(reference, str) else None


def _contained(resource: Resource, reference: Any) -> tuple[int, Resource] | None:
    ref = reference.get("reference") if isinstance(reference, dict) else None
    if not isinstance(ref, str) or not ref.startswith("#"):
        return None
    for j, inner in enumerate(_list(resource.get("contained"))):
        if isinstance(inner, dict) and inner.get("id") == ref[1:]:
            return j, inner
    return None


def read_submission(bundle: Any, *, content_limit: int) -> Submission:
    """The documents of a Provide Document Bundle, or `ValidationFailed` (bad metadata, unknown
    patient, content other than its size or hash says) / `ContentTooLarge` naming each problem.
    Each Binary's (or attachment's) `data` is removed from `bundle` once decoded."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise refused(BAD_METADATA, [error("Bundle", "must be a FHIR Bundle")])
    if bundle.get("type") != "transaction":
        raise refused(BAD_METADATA, [error("Bundle.type", "must be transaction")])
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries:
        raise refused(BAD_METADATA, [error("Bundle.entry", "must hold the submission")])
    errors: FieldErrors = []
    index = _Index(entries)
    lists, documents, binaries, patients = [], [], set(), []
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        request = entry.get("request") if isinstance(entry, dict) else None
        if not isinstance(request, dict) or request.get("method") not in ("POST", "PUT"):
            errors.append(error(f"Bundle.entry[{i}].request.method", "must be POST"))
        if kind == "List":
            lists.append(i)
        elif kind == "DocumentReference":
            documents.append(i)
        elif kind == "Binary":
            binaries.add(i)
        elif kind == "Patient":
            patients.append(i)
        else:
            errors.append(
                error(f"Bundle.entry[{i}].resource", "must be a List, DocumentReference, "
                      "Binary or Patient")
            )  # fmt: skip
    if len(lists) != 1:
        errors.append(error("Bundle.entry", "must hold exactly one SubmissionSet List"))
    if not documents:
        errors.append(error("Bundle.entry", "must hold at least one DocumentReference"))
    if errors:
        raise refused(BAD_METADATA, errors)
    list_entry = lists[0]
    errors += _submission_set_errors(entries[list_entry]["resource"], list_entry, index, documents)
    read = [_document(entries, i, index, binaries, errors) for i in documents]
    if errors:
        raise refused(BAD_METADATA, errors)
    _check_unique(read)
    _check_patients(entries, read)
    contents = [_content(entries, doc, content_limit) for doc in read]
    mismatches = [e for c in contents for e in c[1]]
    if mismatches:
        raise refused(CONTENT_MISMATCH, mismatches)
    out = []
    for doc, (data, _) in zip(read, contents, strict=True):
        doc.data = data
        out.append(doc)
    return Submission(
        documents=out,
        entries=len(entries),
        list_entry=list_entry,
        patient_entries=patients,
        institution_code=_institution(entries, read),
    )


def _submission_set_errors(
    ss: Resource, i: int, index: _Index, documents: list[int]
) -> FieldErrors:
    path = _entry_path(i)
    errors = []
    if "submissionset" not in _codes(ss.get("code"), MHD_SUBMISSION_SET_TYPE_SYSTEM):
        errors.append(error(f"{path}.code", "must be submissionset (MHDlistTypes)"))
    if ss.get("status") != "current":
        errors.append(error(f"{path}.status", "must be current"))
    if ss.get("mode") != "working":
        errors.append(error(f"{path}.mode", "must be working"))
    sources = [
        x for x in _list(ss.get("extension")) if isinstance(x, dict)
        and x.get("url") == SOURCE_ID_EXTENSION and isinstance(x.get("valueIdentifier"), dict)
    ]  # fmt: skip
    if not sources:
        errors.append(error(f"{path}.extension", "must carry the ihe-sourceId extension"))
    if not any(isinstance(x, dict) and x.get("value") for x in _list(ss.get("identifier"))):
        errors.append(error(f"{path}.identifier", "must carry the SubmissionSet's uniqueId"))
    listed = [index.find(e.get("item")) for e in _list(ss.get("entry")) if isinstance(e, dict)]
    if any(j is None for j in listed) or sorted(j for j in listed if j is not None) != documents:
        errors.append(
            error(f"{path}.entry", "must reference each DocumentReference of the bundle once")
        )
    return errors


def _patient_of(
    entries: list[Any], doc: Resource, i: int, index: _Index
) -> tuple[Resource | None, str]:
    """The document's Patient and its path: the subject in the bundle, or contained (by subject
    or context.sourcePatientInfo)."""
    path = _entry_path(i)
    subject = doc.get("subject")
    j = index.find(subject)
    if j is not None and entries[j]["resource"].get("resourceType") == "Patient":
        return entries[j]["resource"], _entry_path(j)
    context = _obj(doc.get("context"))
    for ref in (subject, context.get("sourcePatientInfo")):
        found = _contained(doc, ref)
        if found is not None and found[1].get("resourceType") == "Patient":
            return found[1], f"{path}.contained[{found[0]}]"
    return None, f"{path}.subject"


def _document(
    entries: list[Any], i: int, index: _Index, binaries: set[int], errors: FieldErrors
) -> Document:
    doc = entries[i]["resource"]
    path = _entry_path(i)
    master = doc.get("masterIdentifier")
    external_id = master.get("value") if isinstance(master, dict) else None
    if not isinstance(external_id, str) or not external_id:
        errors.append(error(f"{path}.masterIdentifier", "must carry the document's uniqueId"))
        external_id = ""
    if doc.get("status") != "current":
        errors.append(error(f"{path}.status", "must be current"))
    contents = doc.get("content")
    attachment = contents[0].get("attachment") if isinstance(contents, list) and contents and \
        isinstance(contents[0], dict) else None  # fmt: skip
    content_type, binary = "", None
    if not isinstance(attachment, dict) or len(contents) != 1:
        errors.append(error(f"{path}.content", "must hold one attachment"))
    else:
        content_type = _str(attachment.get("contentType"))
        if not content_type:
            errors.append(error(f"{path}.content[0].attachment.contentType", "is required"))
        binary = index.find(attachment.get("url"))
        if binary is not None and binary not in binaries:
            errors.append(error(f"{path}.content[0].attachment.url", "must name a Binary"))
        if binary is None and "data" not in attachment:
            errors.append(
                error(f"{path}.content[0].attachment.url", "must name a Binary of the bundle")
            )
        elif binary is not None:
            b = entries[binary]["resource"]
            if base_type(_str(b.get("contentType"))) != base_type(content_type):
                errors.append(
                    error(f"{_entry_path(binary)}.contentType", "differs from the attachment's")
                )
    patient, patient_path = _patient_of(entries, doc, i, index)
    fields = _record_fields(doc, path, patient, errors)
    return Document(
        entry=i, binary_entry=binary, external_id=external_id, fields=fields,
        content_type=content_type, data=b"",
        paths=Paths(document=path, patient=patient_path,
                    binary=_entry_path(binary) if binary is not None else None),
    )  # fmt: skip


def _date(value: Any) -> str | None:
    """A FHIR date or dateTime's date (as the depositor wrote it: the day the service was)."""
    return value[:10] if isinstance(value, str) and len(value) >= 10 else None


def _record_fields(
    doc: Resource, path: str, patient: Resource | None, errors: FieldErrors
) -> dict[str, Any]:
    """API.md "FHIR": category → kind, practiceSetting → specialty, context.period → service
    dates, description → title; the Patient → the patient fields. Checked as `RecordIn`."""
    categories = _list(doc.get("category"))
    kinds = [code for c in categories for code in _codes(c, RECORD_KIND_SYSTEM)]
    context = _obj(doc.get("context"))
    specialties = _codes(context.get("practiceSetting"), SPECIALTY_SYSTEM)
    period = _obj(context.get("period"))
    start = _date(period.get("start"))
    end = _date(period.get("end")) or start
    if start is None:
        errors.append(error(f"{path}.context.period.start", "is required (the service's date)"))
    title = doc.get("description")
    if not isinstance(title, str) or not title.strip():
        doc_type = _obj(doc.get("type"))
        title = doc_type.get("text")
    if not isinstance(title, str) or not title.strip():
        errors.append(error(f"{path}.description", "is required (the record's title)"))
    return {
        "patient": _patient_fields(patient),
        "kind": kinds[0] if kinds else "medical_record",
        "specialty": specialties[0] if specialties else "medical",
        "title": title,
        "service_start": start,
        "service_end": end,
    }


def first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else None


def _patient_fields(patient: Resource | None) -> dict[str, Any]:
    if patient is None:
        return {}
    rrns = [
        x["value"] for x in _list(patient.get("identifier"))
        if isinstance(x, dict) and x.get("system") == RRN_SYSTEM and isinstance(x.get("value"), str)
    ]  # fmt: skip
    name = first(patient.get("name"))
    text = None
    if isinstance(name, dict):
        text = name.get("text")
        if not text:
            given = _list(name.get("given"))
            text = f"{name.get('family') or ''}{''.join(str(g) for g in given)}" or None
    gender = patient.get("gender")
    return {
        "rrn": rrns[0] if rrns else None,
        "name": text,
        "birth_date": patient.get("birthDate"),
        "sex": _GENDERS.get(gender, gender) if isinstance(gender, str) else None,
    }


def _check_unique(documents: list[Document]) -> None:
    seen: set[str] = set()
    errors = []
    for doc in documents:
        if doc.external_id in seen:
            errors.append(error(f"{doc.paths.document}.masterIdentifier", "is not unique"))
        seen.add(doc.external_id)
    if errors:
        raise refused(DUPLICATE_UNIQUE_ID, errors)


def _check_patients(entries: list[Any], documents: list[Document]) -> None:
    """Every document names its Patient, with the RRN medrec links records to a person by, and
    they are one person (a submission is of one patient)."""
    errors = []
    for doc in documents:
        patient = doc.fields["patient"]
        if not patient:
            errors.append(error(doc.paths.patient, "must name the Patient (entry or contained)"))
        elif not patient.get("rrn"):
            message = f"must carry an identifier of {RRN_SYSTEM}"
            errors.append(error(f"{doc.paths.patient}.identifier", message))
    if not errors and len({d.fields["patient"]["rrn"] for d in documents}) > 1:
        errors.append(error("Bundle.entry", "must be of one patient"))
    if errors:
        raise refused(UNKNOWN_PATIENT, errors)


def _content(entries: list[Any], doc: Document, limit: int) -> tuple[bytes, FieldErrors]:
    """The document's content decoded (its base64 dropped from the bundle), and what its
    attachment's size and hash (SHA-1, base64) say that it is not."""
    holder = (
        entries[doc.binary_entry]["resource"]
        if doc.binary_entry is not None
        else entries[doc.entry]["resource"]["content"][0]["attachment"]
    )
    encoded = holder.pop("data", None)
    if not isinstance(encoded, str):
        raise refused(BAD_METADATA, [error(doc.paths.data, "is required (base64)")])
    if len(encoded) > 4 * -(-limit // 3):
        raise ContentTooLarge(
            errors=[error(doc.paths.data, f"is limited to {limit} bytes; send larger content "
                          "through the transfer API's streamed upload")]
        )  # fmt: skip
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise refused(BAD_METADATA, [error(doc.paths.data, "is not valid base64")]) from None
    del encoded
    attachment = entries[doc.entry]["resource"]["content"][0]["attachment"]
    errors = []
    size = attachment.get("size")
    if size is not None and size != len(data):
        errors.append(error(f"{doc.paths.attachment}.size", "differs from the content's size"))
    digest = attachment.get("hash")
    # SHA-1 because FHIR's Attachment.hash is one: a check of integrity, not of authenticity.
    sha1 = hashlib.sha1(data, usedforsecurity=False).digest()
    if digest is not None and digest != base64.b64encode(sha1).decode():
        errors.append(
            error(f"{doc.paths.attachment}.hash", "differs from the content's SHA-1 (base64)")
        )
    return data, errors


def _institution(entries: list[Any], documents: list[Document]) -> str | None:
    """The 요양기관기호 the documents' custodian names, when one does."""
    for doc in documents:
        custodian = entries[doc.entry]["resource"].get("custodian")
        ident = custodian.get("identifier") if isinstance(custodian, dict) else None
        if isinstance(ident, dict) and ident.get("system") == INSTITUTION_SYSTEM:
            value = ident.get("value")
            if isinstance(value, str):
                return value
    return None
