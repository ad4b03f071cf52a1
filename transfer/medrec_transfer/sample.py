"""A synthetic export directory, the same bytes on every run: the example in the repository
(`examples/export/`) and the exports of the kit's tests and benchmark.

    python -m medrec_transfer.sample DIR [--records N] [--file-mib M ...]

Patients are made up (valid-looking numbers that belong to no one). Records cover each specialty
(의과, 치과, 한방) and several kinds, inline as structured records or plain text, plus one scanned
PDF and one DICOM image given as files; `--file-mib` adds large DICOM files of that size."""

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
