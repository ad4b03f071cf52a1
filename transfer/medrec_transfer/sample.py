"""A synthetic export directory, the same bytes on every run: the example in the repository
(`examples/export/`) and the exports of the kit's tests and benchmark.

    python -m medrec_transfer.sample DIR [--records N] [--file-mib M ...]

Patients are made up (valid-looking numbers that belong to no one). Records cover each specialty
(의과, 치과, 한방) and several kinds, inline as structured records or plain text, plus one scanned
PDF and one DICOM image given as files; `--file-mib` adds large DICOM files of that size. The last
two are structured records of schema version 2: a stay in hospital with an outpatient bill and an
inpatient discharge bill (lines with EDI codes, paid by card and cash receipt), and a 한방 visit
with its bill (별지 제8호's rows)."""

import argparse
import base64
import json
import random
from pathlib import Path
from typing import Any

STRUCTURED = "application/vnd.medrec.record+json"
INSTITUTION = {
    "code": "41000004",
    "name": "새봄종합병원",
    "type": "병원",
    "address": "광주광역시 동구 금남로 4",
    "region": "광주",
}
SURNAMES = "김이박최정강조윤장임"
GIVEN = ["하늘", "바다", "새봄", "가람", "나래", "다온", "로운", "보람", "시온", "여름"]
SPECIALTIES = {
    "medical": ("내과", ["medical_record", "prescription", "test_record", "certificate_copy"]),
    "dental": ("치과", ["medical_record", "radiology", "prescription"]),
    "korean_medicine": ("한방내과", ["medical_record", "prescription", "nursing_record"]),
}
TITLES = {
    "medical_record": "외래 진료기록",
    "prescription": "처방전",
    "test_record": "혈액검사 결과",
    "certificate_copy": "진단서 부본",
    "radiology": "파노라마 방사선 소견",
    "nursing_record": "간호기록",
}


def structured(specialty: str, visit: str) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema_version": "1",
        "specialty": specialty,
        "encounters": [{"date": visit, "chief_complaint": "정기 진료"}],
    }
    if specialty == "medical":
        base["diagnoses"] = [{"code": "I10", "name": "본태성 고혈압", "primary": True}]
        base["prescriptions"] = [
            {"drug_name": "암로디핀정", "dose": "5", "unit": "mg", "frequency_per_day": 1,
             "days": 30}
        ]  # fmt: skip
    elif specialty == "dental":
        base["diagnoses"] = [{"code": "K02.1", "name": "상아질 우식", "primary": True}]
        base["tooth_chart"] = [
            {"tooth": 36, "findings": ["우식"], "procedures": ["레진 충전"]},
            {"tooth": 11, "findings": ["치석"], "procedures": ["스케일링"]},
        ]
    else:
        base["pattern_identification"] = ["비기허"]
        base["acupuncture"] = [{"point": "ST36"}, {"point": "LI4"}]
        base["herbal_formulas"] = [
            {"name": "보중익기탕", "packs": 20,
             "herbs": [{"name": "황기", "grams": 6}, {"name": "인삼", "grams": 4}]}
        ]  # fmt: skip
    return base


def _line(
    category: str,
    code: str | None,
    name: str,
    day: str,
    price: int,
    count: int,
    days: int,
    copay: int,
    uninsured: bool = False,
) -> dict[str, Any]:
    """A bill line whose amounts add up: price × count × days, split as the clinic split it."""
    amount = price * count * days
    line: dict[str, Any] = {
        "category": category,
        "name": name,
        "date": day,
        "unit_price": price,
        "count": count,
        "days": days,
    }
    if code is not None:
        line["edi_code"] = code
    if uninsured:
        return line | {
            "insured_copay": 0,
            "insurer_paid": 0,
            "fully_self_paid": 0,
            "uninsured": amount,
        }
    return line | {"insured_copay": copay, "insurer_paid": amount - copay,
                   "fully_self_paid": 0, "uninsured": 0}  # fmt: skip


def _bill(
    number: str,
    issued: str,
    visit: str,
    start: str,
    end: str,
    lines: list[dict[str, Any]],
    paid: list[tuple[str, str]],
    **extra: Any,
) -> dict[str, Any]:
    """A bill with its totals and payments (`paid`: (method, date), the amount owed split
    between them, the last taking the rest)."""
    total = sum(
        x["insured_copay"] + x["insurer_paid"] + x["fully_self_paid"] + x["uninsured"]
        for x in lines
    )
    owed = sum(x["insured_copay"] + x["fully_self_paid"] + x["uninsured"] for x in lines)
    payments, left = [], owed
    for i, (method, day) in enumerate(paid):
        amount = left if i == len(paid) - 1 else owed // len(paid)
        payments.append({"paid_on": day, "method": method, "amount": amount})
        left -= amount
    return {"number": number, "issued_on": issued, "visit": visit,
            "period": {"from": start, "to": end}, "patient_category": "health_insurance",
            "total": total, "patient_total": owed, "lines": lines, "payments": payments,
            **extra}  # fmt: skip


def structured_v2(specialty: str) -> dict[str, Any]:
    """Schema version 2: admissions and bills (see the module's docstring)."""
    if specialty == "korean_medicine":
        day = "2025-03-18"
        lines = [
            _line("consultation", "10200", "재진진찰료", day, 10_910, 1, 1, 1_100),
            _line("acupuncture", "40011", "침술(경혈)", day, 4_260, 1, 1, 0),
            _line("cupping", "40071", "부항술(건식)", day, 2_910, 1, 1, 0),
            _line("km_physiotherapy", "40701", "온냉경락요법", day, 1_560, 1, 1, 0),
            _line("chuna", None, "단순추나", day, 30_000, 1, 1, 0, uninsured=True),
        ]
        return {
            "schema_version": "2", "specialty": specialty,
            "encounters": [{"date": day, "department": "한방내과", "chief_complaint": "요통"}],
            "diagnoses": [{"code": "M54.5", "name": "요통", "primary": True}],
            "acupuncture": [{"point": "BL23"}, {"point": "GV3"}],
            "bills": [_bill("K-2025-0318-004", day, "outpatient", day, day, lines,
                            [("cash_receipt", day)], department="한방내과")],
        }  # fmt: skip
    first, admitted, discharged = "2025-05-02", "2025-05-06", "2025-05-10"
    outpatient = [
        _line("consultation", "AA157", "초진진찰료-병원", first, 19_480, 1, 1, 7_790),
        _line("imaging", "G2101", "슬관절 단순촬영", first, 12_300, 2, 1, 9_840),
        _line("mri", "HI101", "슬관절 MRI", first, 350_000, 1, 1, 0, uninsured=True),
    ]
    discharge = [
        _line("admission", "AB220", "입원료-병원 다인실", admitted, 52_000, 1, 4, 41_600),
        _line("meals", "FA211", "일반식 환자식", admitted, 5_070, 3, 4, 30_420),
        _line("procedure_surgery", "N0711", "관절경하 반월상연골 절제술", "2025-05-07",
              620_000, 1, 1, 124_000),
        _line("anaesthesia", "L0104", "전신마취", "2025-05-07", 180_000, 1, 1, 36_000),
        _line("medication", "645301190", "세파졸린나트륨주", "2025-05-07", 1_210, 2, 3, 1_452),
        _line("materials", "G5101", "봉합사", "2025-05-07", 8_000, 1, 1, 1_600),
        _line("admission_single", None, "상급병실 차액(1인실)", admitted, 90_000, 1, 1, 0,
              uninsured=True),
    ]  # fmt: skip
    return {
        "schema_version": "2", "specialty": specialty,
        "encounters": [{"date": first, "department": "정형외과", "chief_complaint": "무릎 통증"},
                       {"date": admitted, "department": "정형외과"}],
        "diagnoses": [{"code": "S83.2", "name": "반월상연골의 파열", "primary": True,
                       "date": first}],
        "prescriptions": [{"drug_name": "세레콕시브캡슐", "drug_code": "645100480", "dose": "200",
                           "unit": "mg", "frequency_per_day": 1, "days": 14,
                           "date": discharged}],
        "admissions": [{"admitted_on": admitted, "discharged_on": discharged,
                        "room_class": "ward", "department": "정형외과"}],
        "bills": [
            _bill("O-2025-0502-031", first, "outpatient", first, first, outpatient,
                  [("card", first)], department="정형외과"),
            _bill("I-2025-0510-007", discharged, "inpatient", admitted, discharged, discharge,
                  [("card", discharged), ("cash_receipt", "2025-05-12")],
                  inpatient_kind="discharge", department="정형외과"),
        ],
    }  # fmt: skip


def patient(n: int) -> dict[str, Any]:
    year = 1950 + n * 7 % 55
    month, day = 1 + n % 12, 1 + n * 3 % 28
    birth = f"{year:04d}-{month:02d}-{day:02d}"
    female = n % 2 == 1
    digit = (3 if year >= 2000 else 1) + (1 if female else 0)
    return {
        "rrn": f"{year % 100:02d}{month:02d}{day:02d}-{digit}{(n * 7919) % 1000000:06d}",
        "name": SURNAMES[n % len(SURNAMES)] + GIVEN[n // len(SURNAMES) % len(GIVEN)],
        "birth_date": birth,
        "sex": "female" if female else "male",
    }


def inline(data: bytes, content_type: str) -> dict[str, str]:
    return {"content_type": content_type, "data_base64": base64.b64encode(data).decode()}


def scanned_pdf() -> bytes:
    """A one-page PDF with a few grey strokes, as a scanner's output would have."""
    stream = b"0.4 g 72 700 m 540 700 l S 72 650 m 400 650 l S 72 600 m 480 600 l S"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref,
    )  # fmt: skip
    return bytes(out)


def _element(group: int, element: int, vr: bytes, value: bytes) -> bytes:
    if len(value) % 2:
        value += b"\x00" if vr in (b"UI", b"OB") else b" "
    head = group.to_bytes(2, "little") + element.to_bytes(2, "little") + vr
    if vr in (b"OB", b"OW"):
        return head + b"\x00\x00" + len(value).to_bytes(4, "little") + value
    return head + len(value).to_bytes(2, "little") + value


def dicom(pixels: bytes = b"", rows: int = 8, columns: int = 8) -> bytes:
    """A DICOM Part 10 file (explicit VR little endian): preamble, DICM, file meta, a few
    patient-free attributes and 8-bit pixel data (`rows` x `columns`, or `pixels` given)."""
    explicit_le = b"1.2.840.10008.1.2.1"
    meta = _element(0x0002, 0x0010, b"UI", explicit_le)
    meta = _element(0x0002, 0x0000, b"UL", len(meta).to_bytes(4, "little")) + meta
    data = pixels or bytes((x * 31 + y * 17) % 256 for y in range(rows) for x in range(columns))
    body = (
        _element(0x0008, 0x0060, b"CS", b"DX")
        + _element(0x0028, 0x0010, b"US", rows.to_bytes(2, "little"))
        + _element(0x0028, 0x0011, b"US", columns.to_bytes(2, "little"))
        + _element(0x0028, 0x0100, b"US", (8).to_bytes(2, "little"))
        + _element(0x7FE0, 0x0010, b"OB", data)
    )
    return b"\x00" * 128 + b"DICM" + meta + body


def large_dicom(path: Path, size: int, seed: int) -> None:
    """A DICOM-signed file of exactly `size` bytes, written in constant memory."""
    rng = random.Random(seed)
    head = b"\x00" * 128 + b"DICM"
    with path.open("wb") as f:
        f.write(head)
        left = size - len(head)
        while left > 0:
            block = rng.randbytes(min(left, 1024 * 1024))
            f.write(block)
            left -= len(block)


def record(n: int, specialty: str, kind: str, content: dict[str, Any]) -> dict[str, Any]:
    department, _ = SPECIALTIES[specialty]
    visit = f"2025-{1 + n % 11:02d}-{1 + n % 27:02d}"  # within every retention period
    return {
        "external_id": f"{specialty[:3].upper()}-{kind[:4]}-{n:05d}",
        "patient": patient(n),
        "kind": kind,
        "specialty": specialty,
        "title": TITLES.get(kind, "진료기록"),
        "service_start": visit,
        "service_end": visit,
        "department": department,
        "content": content,
    }


def lines(count: int) -> list[dict[str, Any]]:
    out = []
    specialties = list(SPECIALTIES)
    for n in range(count):
        specialty = specialties[n % len(specialties)]
        kinds = SPECIALTIES[specialty][1]
        kind = kinds[n // len(specialties) % len(kinds)]
        visit = f"2025-{1 + n % 11:02d}-{1 + n % 27:02d}"  # within every retention period
        if kind == "medical_record":
            data = json.dumps(structured(specialty, visit), ensure_ascii=False).encode()
            content = inline(data, STRUCTURED)
        else:
            text = f"{TITLES.get(kind, '기록')} — 예시 기록 {n}번 (합성 자료)\n"
            content = inline(text.encode(), "text/plain; charset=utf-8")
        out.append(record(n, specialty, kind, content))
    return out


def write_export(
    root: Path,
    *,
    records: int = 12,
    file_sizes: list[int] | None = None,
    institution: dict[str, str] | None = None,
) -> Path:
    """Writes transfer.json, records.ndjson and files/ under `root`: `records` inline records,
    one scanned PDF, one small DICOM, and one large DICOM per size in `file_sizes`."""
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    transfer = {
        "institution": institution or INSTITUTION,
        "reason": "closure",
        "effective_date": "2026-11-30",
    }
    (root / "transfer.json").write_text(json.dumps(transfer, ensure_ascii=False, indent=2) + "\n")
    out = lines(records)
    (files / "scan-00001.pdf").write_bytes(scanned_pdf())
    out.append(
        record(
            records,
            "medical",
            "medical_record",
            {"content_type": "application/pdf", "file": "files/scan-00001.pdf"},
        )
    )
    (files / "xray-00001.dcm").write_bytes(dicom())
    out.append(
        record(
            records + 1,
            "dental",
            "radiology",
            {"content_type": "application/dicom", "file": "files/xray-00001.dcm"},
        )
    )
    for i, size in enumerate(file_sizes or []):
        name = f"files/ct-{i + 1:05d}.dcm"
        large_dicom(root / name, size, seed=i)
        out.append(record(records + 2 + i, "medical", "radiology",
                          {"content_type": "application/dicom", "file": name}))  # fmt: skip
    paper = record(
        records + 2 + len(file_sizes or []),
        "medical",
        "patient_register",
        inline("환자 명부 (종이 기록 전산화)\n".encode(), "text/plain; charset=utf-8"),
    )
    paper["patient"].pop("rrn")  # an old paper record: name, birth date and sex only
    out.append(paper)  # fmt: skip
    for specialty in ("medical", "korean_medicine"):
        n = len(out)
        data = json.dumps(structured_v2(specialty), ensure_ascii=False).encode()
        line = record(n, specialty, "medical_record", inline(data, STRUCTURED))
        visits = [e["date"] for e in structured_v2(specialty)["encounters"]]
        stays = [s.get("discharged_on") for s in structured_v2(specialty).get("admissions", [])]
        line["title"] = "입원 진료기록" if stays else "외래 진료기록"
        line["service_start"], line["service_end"] = min(visits), max(visits + stays)
        out.append(line)
    with (root / "records.ndjson").open("w", encoding="utf-8") as f:
        for line in out:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--records", type=int, default=12)
    parser.add_argument("--file-mib", type=float, action="append", default=[])
    args = parser.parse_args()
    write_export(
        args.dir, records=args.records, file_sizes=[int(m * 1048576) for m in args.file_mib]
    )


if __name__ == "__main__":
    main()
