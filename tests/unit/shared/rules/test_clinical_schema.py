"""The structured clinical record schema (application/vnd.medrec.record+json) and the FHIR check."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from medrec_shared.rules.clinical import (
    STRUCTURED_RECORD_CONTENT_TYPE,
    DentalRecord,
    KoreanMedicineRecord,
    MedicalRecord,
    check_fhir_bundle,
    parse_structured_record,
    structured_record_json_schema,
)

MEDICAL: dict[str, Any] = {
    "schema_version": "1",
    "specialty": "medical",
    "encounters": [{"date": "2024-03-02", "department": "소아청소년과", "chief_complaint": "발열"}],
    "diagnoses": [{"code": "J06.9", "name": "급성 상기도감염", "primary": True}],
    "prescriptions": [
        {
            "drug_name": "아세트아미노펜 시럽",
            "dose": "5",
            "unit": "mL",
            "frequency_per_day": 3,
            "days": 3,
        }
    ],
    "tests": [{"name": "CRP", "date": "2024-03-02", "result": "1.2", "unit": "mg/dL"}],
    "procedures": [{"name": "네뷸라이저", "date": "2024-03-02"}],
}

DENTAL: dict[str, Any] = {
    "schema_version": "1",
    "specialty": "dental",
    "diagnoses": [{"code": "K02.1", "name": "상아질의 우식"}],
    "tooth_chart": [
        {"tooth": 36, "findings": ["우식"], "procedures": ["레진 충전"]},
        {"tooth": 11, "findings": [], "procedures": ["스케일링"]},
        {"tooth": 85, "findings": ["잔존 유치"]},
    ],
}

KOREAN_MEDICINE: dict[str, Any] = {
    "schema_version": "1",
    "specialty": "korean_medicine",
    "diagnoses": [{"code": "U23.0", "name": "기허증"}],
    "pattern_identification": ["비기허증"],
    "acupuncture": [{"point": "ST36", "method": "자침"}, {"point": "LI4"}, {"point": "합곡"}],
    "moxibustion_cupping": ["관원 간접구"],
    "herbal_formulas": [
        {
            "name": "보중익기탕",
            "herbs": [{"name": "황기", "grams": "6"}, {"name": "감초", "grams": 1.5}],
            "packs": 20,
            "days": 10,
        }
    ],
}


def _bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def test_content_type() -> None:
    assert STRUCTURED_RECORD_CONTENT_TYPE == "application/vnd.medrec.record+json"


def test_medical_parses() -> None:
    record = parse_structured_record(_bytes(MEDICAL))
    assert isinstance(record, MedicalRecord)
    assert record.diagnoses[0].code == "J06.9"
    assert record.prescriptions[0].dose == Decimal("5")


def test_dental_parses() -> None:
    record = parse_structured_record(_bytes(DENTAL))
    assert isinstance(record, DentalRecord)
    assert [t.tooth for t in record.tooth_chart] == [36, 11, 85]


def test_korean_medicine_parses() -> None:
    record = parse_structured_record(_bytes(KOREAN_MEDICINE))
    assert isinstance(record, KoreanMedicineRecord)
    assert record.herbal_formulas[0].herbs[1].grams == Decimal("1.5")
    assert record.acupuncture[2].point == "합곡"


@pytest.mark.parametrize("model", [MedicalRecord, DentalRecord, KoreanMedicineRecord])
def test_schema_examples_parse(model: type[MedicalRecord]) -> None:
    extra: Any = model.model_config["json_schema_extra"]
    for example in extra["examples"]:
        parse_structured_record(_bytes(example))


def test_json_schema_is_documented() -> None:
    schema = structured_record_json_schema()
    assert set(schema["discriminator"]["mapping"]) == {"medical", "dental", "korean_medicine"}
    tooth = schema["$defs"]["ToothEntry"]["properties"]["tooth"]
    assert "FDI" in tooth["description"]


@pytest.mark.parametrize("tooth", [19, 10, 56, 90, 0, 49, 86, -11, 111])
def test_bad_fdi_tooth_refused(tooth: int) -> None:
    data = copy.deepcopy(DENTAL)
    data["tooth_chart"][0]["tooth"] = tooth
    with pytest.raises(ValidationError):
        parse_structured_record(_bytes(data))


@pytest.mark.parametrize("tooth", [11, 18, 21, 28, 31, 38, 41, 48, 51, 55, 61, 65, 71, 75, 81, 85])
def test_good_fdi_tooth_accepted(tooth: int) -> None:
    data = copy.deepcopy(DENTAL)
    data["tooth_chart"] = [{"tooth": tooth, "findings": ["x"]}]
    parse_structured_record(_bytes(data))


def test_duplicate_tooth_refused() -> None:
    data = copy.deepcopy(DENTAL)
    data["tooth_chart"].append({"tooth": 36, "findings": ["again"]})
    with pytest.raises(ValidationError):
        parse_structured_record(_bytes(data))


@pytest.mark.parametrize("code", ["J069", "j06.9", "J06.", "J6.9", "06.9", "J06.999", "ㄱ06.9", ""])
def test_bad_kcd_code_refused(code: str) -> None:
    data = copy.deepcopy(MEDICAL)
    data["diagnoses"][0]["code"] = code
    with pytest.raises(ValidationError):
        parse_structured_record(_bytes(data))


@pytest.mark.parametrize("code", ["J06.9", "K02.1", "U23.0", "I10", "E11.78"])
def test_good_kcd_code_accepted(code: str) -> None:
    data = copy.deepcopy(MEDICAL)
    data["diagnoses"][0]["code"] = code
    parse_structured_record(_bytes(data))


@pytest.mark.parametrize("grams", ["-1", "0", -0.5])
def test_non_positive_grams_refused(grams: object) -> None:
    data = copy.deepcopy(KOREAN_MEDICINE)
    data["herbal_formulas"][0]["herbs"][0]["grams"] = grams
    with pytest.raises(ValidationError):
        parse_structured_record(_bytes(data))


def test_zero_packs_refused() -> None:
    data = copy.deepcopy(KOREAN_MEDICINE)
    data["herbal_formulas"][0]["packs"] = 0
    with pytest.raises(ValidationError):
        parse_structured_record(_bytes(data))


@pytest.mark.parametrize(
    ("base", "path"),
    [
        (MEDICAL, ()),
        (MEDICAL, ("diagnoses", 0)),
        (DENTAL, ("tooth_chart", 0)),
        (KOREAN_MEDICINE, ("herbal_formulas", 0, "herbs", 0)),
    ],
)
def test_unknown_field_refused(base: dict[str, Any], path: tuple[str | int, ...]) -> None:
    data = copy.deepcopy(base)
    node: Any = data
    for key in path:
        node = node[key]
    node["unexpected"] = "x"
    with pytest.raises(ValidationError):
        parse_structured_record(_bytes(data))


def test_fields_of_another_specialty_refused() -> None:
    data = copy.deepcopy(MEDICAL)
    data["tooth_chart"] = DENTAL["tooth_chart"]
    with pytest.raises(ValidationError):
        parse_structured_record(_bytes(data))


@pytest.mark.parametrize("version", ["3", "0", 1, 2, None])
def test_wrong_schema_version_refused(version: object) -> None:
    data = copy.deepcopy(MEDICAL)
    data["schema_version"] = version
    with pytest.raises(ValidationError):
        parse_structured_record(_bytes(data))


@pytest.mark.parametrize("payload", [b"", b"not json", b"[]", b'{"schema_version": "1"}'])
def test_not_a_record_refused(payload: bytes) -> None:
    with pytest.raises(ValidationError):
        parse_structured_record(payload)


def test_unknown_specialty_refused() -> None:
    data = copy.deepcopy(MEDICAL)
    data["specialty"] = "veterinary"
    with pytest.raises(ValidationError):
        parse_structured_record(_bytes(data))


# --- FHIR ---------------------------------------------------------------------------------------

BUNDLE: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1"}},
        {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Condition", "id": "c1"}},
    ],
}


def test_fhir_bundle_accepted() -> None:
    assert check_fhir_bundle(_bytes(BUNDLE))["type"] == "collection"


def test_fhir_bundle_without_entries_accepted() -> None:
    check_fhir_bundle(b'{"resourceType": "Bundle", "type": "searchset"}')


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"not json",
        b"[]",
        b'{"resourceType": "Patient", "id": "p1"}',
        b'{"resourceType": "Bundle"}',
        b'{"resourceType": "Bundle", "type": "bag"}',
        b'{"resourceType": "Bundle", "type": "collection", "entry": {}}',
        b'{"resourceType": "Bundle", "type": "collection", "entry": [1]}',
        b'{"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "x"}]}',
        b'{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {}}]}',
        b"\xff\xfe",
    ],
)
def test_non_bundles_refused(payload: bytes) -> None:
    with pytest.raises(ValueError):
        check_fhir_bundle(payload)
