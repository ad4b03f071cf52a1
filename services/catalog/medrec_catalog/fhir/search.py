"""ITI-67's search parameters, read into a query over the subject's records. Pure: which
records a query may reach is `fhir.service`'s (the subject's only).

Parameters (MHD ITI-67, FHIR R4 search): `patient` (Patient/<person_id>), `patient.identifier`
(`https://mois.go.kr/rrn|<RRN>`, in a POST body only: an RRN never goes in a URL), `status`,
`date` (when catalog indexed the record), `period` (the care's dates: context.period), `type`
and `category` (the record kind), `setting` (the specialty: practiceSetting), `facility` (the
institution's 요양기관기호: medrec has no facility type, so the responder matches the custodian),
`_count`, `_cursor` (the opaque position of a `next` link). A token from another system, or a
code medrec does not use, finds nothing; a value that is not a token, date or number is a 400.
Unknown parameters are ignored (FHIR's lenient handling) and never echoed back."""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from medrec_catalog.fhir.documents import HIRA_KRNPI_SYSTEM
from medrec_catalog.records.service import RecordFilter
from medrec_shared.platform.problems import ValidationFailed
from medrec_shared.rules.fhir_systems import RECORD_KIND_SYSTEM, RRN_SYSTEM, SPECIALTY_SYSTEM
from medrec_shared.rules.records import RecordKind, Specialty

KST: Final = ZoneInfo("Asia/Seoul")
DEFAULT_COUNT, MAX_COUNT = 50, 500
STATUSES: Final = frozenset({"current", "superseded", "entered-in-error"})
#: the parameters a `self` or `next` link carries again (never patient.identifier)
ECHOED: Final = ("patient", "status", "date", "period", "type", "category", "setting", "facility")
_PREFIXES: Final = ("eq", "ge", "gt", "le", "lt")


@dataclass(frozen=True)
class DocumentQuery:
    patient: str | None = None  # a person_id
    patient_rrn: str | None = field(default=None, repr=False)
    filters: RecordFilter = field(default_factory=RecordFilter)
    count: int = DEFAULT_COUNT
    cursor: str | None = None
    matches_nothing: bool = False  # a token no record of medrec's carries
    echoed: tuple[tuple[str, str], ...] = ()


def _bad(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        "A search parameter is not valid.", errors=[{"field": name, "message": message}]
    )


def _token(name: str, value: str, system: str, codes: frozenset[str]) -> str | None:
    """The code of a `[system|]code` token, or None when no record carries it."""
    given_system, bar, code = value.rpartition("|")
    if "," in value:
        raise _bad(name, "one value only")
    if bar and given_system and given_system != system:
        return None
    return code if code in codes else None


def _day_or_instant(name: str, text: str) -> tuple[datetime, timedelta]:
    """The start of a date or dateTime, and its precision (a day, or a second)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), KST), timedelta(days=1)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(name, "not a FHIR date or dateTime") from None
    if moment.tzinfo is None:
        raise _bad(name, "a dateTime needs its time zone")
    return moment, timedelta(seconds=1)


def _prefixed(name: str, value: str) -> tuple[str, str]:
    prefix = value[:2] if value[:2] in _PREFIXES else "eq"
    return prefix, value[2:] if value[:2] in _PREFIXES else value


def _indexed(filters: RecordFilter, name: str, value: str) -> RecordFilter:
    prefix, text = _prefixed(name, value)
    start, span = _day_or_instant(name, text)
    after = {"eq": start, "ge": start, "gt": start + span}.get(prefix)
    before = {"eq": start + span, "le": start + span, "lt": start}.get(prefix)
    if after is not None and (filters.indexed_from is None or after > filters.indexed_from):
        filters = replace(filters, indexed_from=after)
    if before is not None and (filters.indexed_before is None or before < filters.indexed_before):
        filters = replace(filters, indexed_before=before)
    return filters


def _period(filters: RecordFilter, name: str, value: str) -> RecordFilter:
    """Care overlapping the value (service dates are days, in Korea)."""
    prefix, text = _prefixed(name, value)
    day = _day_or_instant(name, text)[0].astimezone(KST).date()
    one = timedelta(days=1)
    start = {"eq": day, "ge": day, "gt": day + one}.get(prefix)
    end = {"eq": day, "le": day, "lt": day - one}.get(prefix)
    if start is not None and (filters.service_from is None or start > filters.service_from):
        filters = replace(filters, service_from=start)
    if end is not None and (filters.service_to is None or end < filters.service_to):
        filters = replace(filters, service_to=end)
    return filters


def _patient(value: str) -> str:
    return value.rstrip("/").rsplit("Patient/", 1)[-1]


def parse_query(pairs: Sequence[tuple[str, str]], *, in_body: bool) -> DocumentQuery:
    """`pairs`: the query string's (GET) or the form body's and query string's (POST)."""
    query, filters, nothing = DocumentQuery(), RecordFilter(), False
    kinds, specialties = (
        frozenset(k.value for k in RecordKind),
        frozenset(s.value for s in Specialty),
    )
    for name, value in pairs:
        if name == "patient":
            query = replace(query, patient=_patient(value))
        elif name == "patient.identifier":
            if not in_body:
                raise _bad(name, "send patient.identifier in a POST body (_search), never a URL")
            system, _, rrn = value.partition("|")
            if system != RRN_SYSTEM:
                nothing = True
            query = replace(query, patient_rrn=rrn)
        elif name == "status":
            statuses = set(value.split(","))
            if not statuses <= STATUSES:
                raise _bad(name, "not a DocumentReference status")
            nothing |= "current" not in statuses
        elif name in ("date", "period"):
            try:
                filters = (_indexed if name == "date" else _period)(filters, name, value)
            except OverflowError:  # a day at the calendar's very edge
                raise _bad(name, "out of range") from None
        elif name in ("type", "category"):
            kind = _token(name, value, RECORD_KIND_SYSTEM, kinds)
            nothing |= kind is None or (filters.kind is not None and kind != filters.kind)
            filters = replace(filters, kind=kind)
        elif name == "setting":
            specialty = _token(name, value, SPECIALTY_SYSTEM, specialties)
            nothing |= specialty is None
            filters = replace(filters, specialty=specialty)
        elif name == "facility":
            code = _token(name, value, HIRA_KRNPI_SYSTEM, frozenset({value.rpartition("|")[2]}))
            nothing |= code is None or not (code.isdigit() and len(code) == 8)
            filters = replace(filters, institution=code)
        elif name == "_count":
            if not value.isdigit() or not 1 <= int(value) <= MAX_COUNT:
                raise _bad(name, f"a whole number from 1 to {MAX_COUNT}")
            query = replace(query, count=int(value))
        elif name == "_cursor":
            query = replace(query, cursor=value)
        if name in ECHOED:  # as understood: the links of the same search read the same
            echoed = _patient(value) if name == "patient" else value
            query = replace(query, echoed=(*query.echoed, (name, echoed)))
    if query.patient is None and query.patient_rrn is None:
        raise _bad("patient", "ITI-67 needs patient or patient.identifier")
    return replace(query, filters=filters, matches_nothing=nothing)
