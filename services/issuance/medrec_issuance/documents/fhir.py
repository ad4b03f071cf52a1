"""A FHIR R4 Bundle rendered as a medical record.

Encounter, Condition, MedicationRequest, Observation and Procedure become tables; every other
resource is listed by type and id only (a Patient's identifiers are never printed).
FHIR values are read defensively: any missing or odd-typed element shows as ``-``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


def _encounter(res: Resource) -> tuple[str, ...]:
    kind = _get(res, "class", "display") or _get(res, "class", "code")
    reason = _concept(_get(res, "reasonCode", 0))
    return (_period(res.get("period")), _text(kind), _concept(_get(res, "type", 0)), reason)


def _condition(res: Resource) -> tuple[str, ...]:
    onset = res.get("onsetDateTime") or res.get("recordedDate")
    status = _code(res.get("clinicalStatus"))
    return (_code(res.get("code")), _concept(res.get("code")), _text(onset), status)


def _medication(res: Resource) -> tuple[str, ...]:
    drug = _concept(res.get("medicationCodeableConcept"))
    if drug == "-":
        drug = _text(_get(res, "medicationReference", "display"))
    days = _get(res, "dispenseRequest", "expectedSupplyDuration", "value")
    return (_text(res.get("authoredOn")), drug, _dosage(res), _text(days))


def _observation(res: Resource) -> tuple[str, ...]:
    when = res.get("effectiveDateTime") or _get(res, "effectivePeriod", "start")
    interpretation = _concept(_get(res, "interpretation", 0))
    return (
        _text(when),
        _concept(res.get("code")),
        _observation_value(res),
        _reference_range(res),
        interpretation,
    )


def _procedure(res: Resource) -> tuple[str, ...]:
    when = res.get("performedDateTime") or _get(res, "performedPeriod", "start")
    return (_text(when), _concept(res.get("code")), _code(res.get("code")), _notes(res))


_TABLES: tuple[tuple[str, str, tuple[str, ...], tuple[float, ...], Callable[..., Any]], ...] = (
    ("Encounter", "내원 기록", ("기간", "구분", "유형", "사유"), (22, 12, 33, 33), _encounter),
    ("Condition", "상병", ("코드", "상병명", "발병·기록일", "상태"), (14, 50, 22, 14), _condition),
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
)


def render_fhir_bundle(pdf: CopyPdf, bundle: dict[str, Any]) -> None:
    """Bundle resources grouped by type; unknown types in a generic list."""
    resources: list[Resource] = [
        e["resource"]
        for e in bundle.get("entry", [])
        if isinstance(e, dict) and isinstance(e.get("resource"), dict)
    ]
    pdf.text_block(
        f"FHIR R4 Bundle (type: {_text(bundle.get('type'))}, 리소스 {len(resources)}개)", size=8
    )
    known = {name for name, *_ in _TABLES}
    for resource_type, title, headings, widths, row in _TABLES:
        pdf.section(title)
        rows = [row(r) for r in resources if r.get("resourceType") == resource_type]
        pdf.data_table(headings, rows, widths)
    others = [r for r in resources if r.get("resourceType") not in known]
    if others:
        pdf.section("기타 리소스")
        rows = [
            (str(i), _text(r.get("resourceType")), _text(r.get("id")))
            for i, r in enumerate(others, 1)
        ]
        pdf.data_table(("번호", "resourceType", "id"), rows, (10, 45, 45))
