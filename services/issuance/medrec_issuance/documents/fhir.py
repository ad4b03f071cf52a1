"""A FHIR R4 Bundle rendered as a medical record, in Korean.

Encounter, Condition, MedicationRequest, Observation, Procedure and DiagnosticReport become
tables, the institution (Organization, with its 요양기관기호) and the practitioners one more;
every other resource is listed by type and id only (a Patient's identifiers are never printed).
A KR Core bundle's diagnoses show their KCD-8 code, whichever coding comes first; its visit
classes (v3 ActCode) and statuses are named in Korean. FHIR values are read defensively: any
missing or odd-typed element shows as ``-``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from medrec_shared.rules.clinical.krcore import (
    HIRA_KRNPI_SYSTEM,
    KCD8_SYSTEM,
    KRCORE_CANONICAL,
    is_chief_complaint,
)

from .layout import CopyPdf

Resource = dict[str, Any]


def _get(node: Any, *path: str | int) -> Any:
    for key in path:
        if isinstance(key, int):
            node = node[key] if isinstance(node, list) and len(node) > key else None
        else:
            node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return "-"
    text = str(value).strip()
    return text or "-"


def _concept(node: Any) -> str:
    """CodeableConcept: its text, else the first coding's display, else code."""
    text = _get(node, "text")
    if isinstance(text, str) and text.strip():
        return text.strip()
    coding = _get(node, "coding", 0)
    display, code = _get(coding, "display"), _get(coding, "code")
    if display and code:
        return f"{_text(display)} ({_text(code)})"
    return _text(display or code)


def _code(node: Any) -> str:
    return _text(_get(node, "coding", 0, "code"))


def _quantity(node: Any) -> str:
    value = _get(node, "value")
    if value is None:
        return "-"
    unit = _get(node, "unit") or _get(node, "code") or ""
    return f"{_text(value)} {_text(unit) if unit else ''}".strip()


def _period(node: Any) -> str:
    start, end = _text(_get(node, "start")), _text(_get(node, "end"))
    return start if end in ("-", start) else f"{start} ~ {end}"


def _observation_value(res: Resource) -> str:
    for key in ("valueString", "valueBoolean", "valueInteger", "valueDateTime"):
        if key in res:
            return _text(res[key])
    if "valueQuantity" in res:
        return _quantity(res["valueQuantity"])
    if "valueCodeableConcept" in res:
        return _concept(res["valueCodeableConcept"])
    return "-"


def _reference_range(res: Resource) -> str:
    rng = _get(res, "referenceRange", 0)
    if _get(rng, "text"):
        return _text(_get(rng, "text"))
    low, high = _get(rng, "low", "value"), _get(rng, "high", "value")
    if low is None and high is None:
        return "-"
    return f"{_text(low) if low is not None else ''}–{_text(high) if high is not None else ''}"


def _dosage(res: Resource) -> str:
    dosage = _get(res, "dosageInstruction", 0)
    if _get(dosage, "text"):
        return _text(_get(dosage, "text"))
    dose = _quantity(_get(dosage, "doseAndRate", 0, "doseQuantity"))
    freq = _get(dosage, "timing", "repeat", "frequency")
    parts = [dose] if dose != "-" else []
    if freq is not None:
        parts.append(f"1일 {_text(freq)}회")
    return ", ".join(parts) or "-"


def _notes(res: Resource) -> str:
    notes = res.get("note")
    if not isinstance(notes, list):
        return "-"
    texts = [_text(_get(n, "text")) for n in notes]
    return "\n".join(t for t in texts if t != "-") or "-"


#: v3 ActCode encounter classes as Korean clinics name them
_CLASSES = {"AMB": "외래", "IMP": "입원", "EMER": "응급", "HH": "가정간호", "VR": "비대면",
            "SS": "낮병동", "ACUTE": "입원", "NONAC": "입원"}  # fmt: skip
_STATUSES = {
    "finished": "완료", "in-progress": "진행 중", "planned": "예정", "cancelled": "취소",
    "completed": "완료", "active": "진행 중", "stopped": "중단", "final": "최종",
    "preliminary": "예비", "amended": "수정", "resolved": "해결", "inactive": "비활성",
    "remission": "관해", "recurrence": "재발", "entered-in-error": "오류 입력",
}  # fmt: skip


def _status(value: Any) -> str:
    return _STATUSES.get(value, _text(value)) if isinstance(value, str) else "-"


def _encounter(res: Resource) -> tuple[str, ...]:
    code = _get(res, "class", "code")
    kind = _CLASSES.get(code) if isinstance(code, str) else None
    kind = kind or _get(res, "class", "display") or code
    service = _concept(_get(res, "type", 0))
    if service == "-":
        service = _concept(res.get("serviceType"))
    reason = _concept(_get(res, "reasonCode", 0))
    return (_period(res.get("period")), _text(kind), service, reason)


def _kcd8(concept: Any) -> tuple[str, str] | None:
    """The KCD-8 coding's code and name, when the concept has one."""
    for coding in _get(concept, "coding") or []:
        if isinstance(coding, dict) and coding.get("system") == KCD8_SYSTEM:
            name = coding.get("display") or _get(concept, "text")
            return _text(coding.get("code")), _text(name)
    return None


def _condition(res: Resource) -> tuple[str, ...]:
    onset = res.get("onsetDateTime") or res.get("recordedDate")
    kind = "주호소" if is_chief_complaint(res) else "진단"
    status = _get(res, "clinicalStatus", "coding", 0, "code")
    if status is not None:
        kind = f"{kind} · {_status(status)}"
    code, name = _kcd8(res.get("code")) or (_code(res.get("code")), _concept(res.get("code")))
    return (code, name, _text(onset)[:10], kind)


def _report(res: Resource) -> tuple[str, ...]:
    when = res.get("issued") or res.get("effectiveDateTime")
    return (
        _text(when)[:10],
        _concept(res.get("code")),
        _status(res.get("status")),
        _text(res.get("conclusion")),
    )


def _providers(resources: list[Resource]) -> list[tuple[str, ...]]:
    """The institution (with its 요양기관기호) and the practitioners; a person's name only,
    never an identifier of theirs."""
    rows: list[tuple[str, ...]] = []
    for res in resources:
        if res.get("resourceType") == "Organization":
            codes = [
                _text(i.get("value"))
                for i in res.get("identifier") or []
                if isinstance(i, dict) and i.get("system") == HIRA_KRNPI_SYSTEM
            ]
            rows.append(("의료기관", _text(res.get("name")), ", ".join(codes) or "-"))
        elif res.get("resourceType") == "Practitioner":
            rows.append(("의료인", _text(_get(res, "name", 0, "text")), "-"))
    return rows


def _is_krcore(resources: list[Resource]) -> bool:
    return any(
        isinstance(p, str) and p.startswith(KRCORE_CANONICAL)
        for r in resources
        for p in _get(r, "meta", "profile") or []
    )


def _medication(res: Resource) -> tuple[str, ...]:
    drug = _concept(res.get("medicationCodeableConcept"))
    if drug == "-":
        drug = _text(_get(res, "medicationReference", "display"))
    days = _get(res, "dispenseRequest", "expectedSupplyDuration", "value")
    return (_text(res.get("authoredOn"))[:10], drug, _dosage(res), _text(days))


def _observation(res: Resource) -> tuple[str, ...]:
    when = res.get("effectiveDateTime") or _get(res, "effectivePeriod", "start")
    interpretation = _concept(_get(res, "interpretation", 0))
    return (
        _text(when)[:10],
        _concept(res.get("code")),
        _observation_value(res),
        _reference_range(res),
        interpretation,
    )


def _procedure(res: Resource) -> tuple[str, ...]:
    when = res.get("performedDateTime") or _get(res, "performedPeriod", "start")
    return (_text(when)[:10], _concept(res.get("code")), _code(res.get("code")), _notes(res))


_TABLES: tuple[tuple[str, str, tuple[str, ...], tuple[float, ...], Callable[..., Any]], ...] = (
    ("Encounter", "내원 기록", ("기간", "구분", "유형", "사유"), (22, 12, 33, 33), _encounter),
    ("Condition", "상병", ("코드", "상병명", "발병·진단일", "구분"), (14, 46, 20, 20), _condition),
    (
        "MedicationRequest",
        "처방",
        ("처방일", "약품", "용법·용량", "투약일수"),
        (18, 40, 30, 12),
        _medication,
    ),
    (
        "Observation",
        "검사",
        ("검사일", "검사명", "결과", "참고치", "판정"),
        (18, 30, 20, 16, 16),
        _observation,
    ),
    ("Procedure", "처치·수술", ("시행일", "처치명", "코드", "비고"), (18, 35, 12, 35), _procedure),
    (
        "DiagnosticReport",
        "검사 보고서",
        ("발행일", "보고서", "상태", "결론"),
        (18, 35, 12, 35),
        _report,
    ),
)
_LISTED = frozenset({"Organization", "Practitioner"})


def render_fhir_bundle(pdf: CopyPdf, bundle: dict[str, Any]) -> None:
    """Bundle resources grouped by type; unknown types in a generic list."""
    resources: list[Resource] = [
        e["resource"]
        for e in bundle.get("entry", [])
        if isinstance(e, dict) and isinstance(e.get("resource"), dict)
    ]
    standard = "FHIR R4 Bundle · KR Core 2.0" if _is_krcore(resources) else "FHIR R4 Bundle"
    pdf.text_block(
        f"{standard} (type: {_text(bundle.get('type'))}, 리소스 {len(resources)}개)", size=8
    )
    providers = _providers(resources)
    if providers:
        pdf.section("의료기관·의료인")
        pdf.data_table(("구분", "명칭·성명", "요양기관기호"), providers, (20, 50, 30))
    known = {name for name, *_ in _TABLES} | _LISTED
    for resource_type, title, headings, widths, row in _TABLES:
        rows = [row(r) for r in resources if r.get("resourceType") == resource_type]
        if not rows and resource_type == "DiagnosticReport":
            continue  # a table of its own only when there is a report
        pdf.section(title)
        pdf.data_table(headings, rows, widths)
    others = [r for r in resources if r.get("resourceType") not in known]
    if others:
        pdf.section("기타 리소스")
        rows = [
            (str(i), _text(r.get("resourceType")), _text(r.get("id")))
            for i, r in enumerate(others, 1)
        ]
        pdf.data_table(("번호", "resourceType", "id"), rows, (10, 45, 45))
