"""The demo's structured records of schema version 2 (admissions, bills, payments), so the portal
has something for every document type: 진료확인서, 입퇴원확인서, 진료비 영수증 (제6호 and 한방
제8호), 세부산정내역, 납입확인서 for two tax years, 처방전. Synthetic; the arithmetic adds up
(ingest refuses a bill that does not)."""

from typing import Any

Doc = dict[str, Any]


def line(
    category: str,
    code: str | None,
    name: str,
    day: str,
    price: int,
    count: int,
    days: int,
    copay: int | None = None,
) -> Doc:
    """price × count × days; `copay` the patient's share of a covered line, None: 비급여."""
    amount = price * count * days
    out: Doc = {
        "category": category,
        "name": name,
        "date": day,
        "unit_price": price,
        "count": count,
        "days": days,
        "fully_self_paid": 0,
    }
    if code is not None:
        out["edi_code"] = code
    if copay is None:
        return out | {"insured_copay": 0, "insurer_paid": 0, "uninsured": amount}
    return out | {"insured_copay": copay, "insurer_paid": amount - copay, "uninsured": 0}


def bill(
    number: str,
    visit: str,
    start: str,
    end: str,
    lines: list[Doc],
    payments: list[tuple[str, str, int | None]],
    department: str,
    **extra: Any,
) -> Doc:
    """A bill issued on its last day; `payments` (method, date, amount; None: the rest)."""
    owed = sum(x["insured_copay"] + x["fully_self_paid"] + x["uninsured"] for x in lines)
    paid, left = [], owed
    for method, day, amount in payments:
        paid.append(
            {"paid_on": day, "method": method, "amount": left if amount is None else amount}
        )
        left -= paid[-1]["amount"]
    return {
        "number": number,
        "issued_on": end,
        "visit": visit,
        "period": {"from": start, "to": end},
        "department": department,
        "patient_category": "health_insurance",
        "patient_total": owed,
        "total": sum(x["insured_copay"] + x["insurer_paid"] + x["uninsured"] for x in lines),
        "lines": lines,
        "payments": paid,
        **extra,
    }


def drug(name: str, code: str, dose: str, unit: str, times: int, days: int, day: str) -> Doc:
    return {
        "drug_name": name,
        "drug_code": code,
        "dose": dose,
        "unit": unit,
        "frequency_per_day": times,
        "days": days,
        "date": day,
    }


def outpatient_visit(
    day: str,
    number: str,
    complaint: str,
    diagnosis: tuple[str, str],
    drugs: list[Doc],
    department: str = "내과",
) -> Doc:
    lines = [
        line("consultation", "AA254", "재진진찰료-병원", day, 14_230, 1, 1, 4_260),
        line("laboratory", "D2200", "C-반응성단백", day, 4_810, 1, 1, 1_440),
        line("medication", "J1010", "외래환자 처방료", day, 2_980, 1, 1, 890),
    ]
    return {
        "schema_version": "2",
        "specialty": "medical",
        "encounters": [{"date": day, "department": department, "chief_complaint": complaint}],
        "diagnoses": [{"code": diagnosis[0], "name": diagnosis[1], "primary": True, "date": day}],
        "prescriptions": drugs,
        "bills": [bill(number, "outpatient", day, day, lines, [("card", day, None)], department)],
    }


def stay(first: str, admitted: str, discharged: str, nights: int) -> Doc:
    """An outpatient visit, then a stay: admission, outpatient bill, interim and discharge."""
    department = "정형외과"
    outpatient = [
        line("consultation", "AA157", "초진진찰료-병원", first, 19_480, 1, 1, 7_790),
        line("imaging", "G2101", "슬관절 단순촬영", first, 12_300, 2, 1, 9_840),
        line("mri", "HI101", "슬관절 MRI", first, 350_000, 1, 1),
    ]
    discharge = [
        line(
            "admission", "AB220", "입원료-병원 다인실", admitted, 52_000, 1, nights, 10_400 * nights
        ),
        line("meals", "FA211", "일반식 환자식", admitted, 5_070, 3, nights, 7_605 * nights),
        line(
            "procedure_surgery",
            "N0711",
            "관절경하 반월상연골 절제술",
            admitted,
            620_000,
            1,
            1,
            124_000,
        ),
        line("anaesthesia", "L0104", "전신마취", admitted, 180_000, 1, 1, 36_000),
        line("injection", "645301190", "세파졸린나트륨주", admitted, 1_210, 2, 3, 1_452),
        line("materials", "G5101", "봉합사", admitted, 8_000, 1, 1, 1_600),
        line("admission_single", None, "상급병실 차액(1인실)", admitted, 90_000, 1, 1),
    ]
    return {
        "schema_version": "2",
        "specialty": "medical",
        "encounters": [
            {"date": first, "department": department, "chief_complaint": "무릎 통증"},
            {"date": admitted, "department": department},
        ],
        "diagnoses": [
            {"code": "S83.2", "name": "반월상연골의 파열", "primary": True, "date": first}
        ],
        "prescriptions": [drug("세레콕시브캡슐", "645100480", "200", "mg", 1, 14, discharged)],
        "admissions": [
            {
                "admitted_on": admitted,
                "discharged_on": discharged,
                "room_class": "ward",
                "department": department,
            }
        ],
        "bills": [
            bill(
                f"O-{first}-031",
                "outpatient",
                first,
                first,
                outpatient,
                [("card", first, None)],
                department,
            ),
            bill(
                f"I-{discharged}-007",
                "inpatient",
                admitted,
                discharged,
                discharge,
                [("card", discharged, 200_000), ("cash_receipt", discharged, None)],
                department,
                inpatient_kind="discharge",
            ),
        ],
    }


def korean_medicine_visit(day: str, number: str) -> Doc:
    lines = [
        line("consultation", "10200", "재진진찰료", day, 10_910, 1, 1, 1_100),
        line("acupuncture", "40011", "침술(경혈)", day, 4_260, 1, 1, 0),
        line("cupping", "40071", "부항술(건식)", day, 2_910, 1, 1, 0),
        line("km_physiotherapy", "40701", "온냉경락요법", day, 1_560, 1, 1, 0),
        line("herbal_decoction", None, "첩약(10첩)", day, 15_000, 10, 1),
    ]
    return {
        "schema_version": "2",
        "specialty": "korean_medicine",
        "encounters": [{"date": day, "department": "한방내과", "chief_complaint": "요통"}],
        "diagnoses": [{"code": "M54.5", "name": "요통", "primary": True}],
        "acupuncture": [{"point": "BL23"}, {"point": "GV3"}],
        "bills": [
            bill(number, "outpatient", day, day, lines, [("cash_receipt", day, None)], "한방내과")
        ],
    }


def span(document: Doc) -> tuple[str, str]:
    """The service period of a record: its first visit to its last day of care."""
    days = [e["date"] for e in document["encounters"]]
    days += [s["discharged_on"] for s in document.get("admissions", []) if s.get("discharged_on")]
    return min(days), max(days)


#: (external id, patient index, clinic code, title, document): index 0 is the demo citizen,
#: CHILD their child.
def records(citizen: int, child: int) -> list[tuple[str, int, str, str, Doc]]:
    acetaminophen = drug("아세트아미노펜시럽", "643301230", "7", "mL", 3, 3, "2024-05-13")
    return [
        ("demo-v2-adult-2024", citizen, "41000005", "외래 진료기록",
         outpatient_visit("2024-05-13", "O-2024-0513-002", "기침, 발열",
                          ("J20.9", "급성 기관지염"),
                          [drug("아목시실린캡슐", "644501080", "500", "mg", 3, 5, "2024-05-13")])),
        ("demo-v2-adult-2025", citizen, "41000005", "입원 진료기록",
         stay("2025-03-04", "2025-03-10", "2025-03-14", 4)),
        ("demo-v2-adult-km-2025", citizen, "31000003", "외래 진료기록",
         korean_medicine_visit("2025-09-22", "K-2025-0922-011")),
        ("demo-v2-child-2024", child, "41000005", "외래 진료기록",
         outpatient_visit("2024-05-13", "O-2024-0513-003", "발열", ("J06.9", "급성 상기도감염"),
                          [acetaminophen], department="소아청소년과")),
        ("demo-v2-child-2025", child, "41000005", "외래 진료기록",
         outpatient_visit("2025-11-03", "O-2025-1103-008", "콧물, 기침",
                          ("J00", "급성 비인두염"),
                          [drug("세티리진시럽", "641900650", "2.5", "mL", 1, 5, "2025-11-03")],
                          department="소아청소년과")),
    ]  # fmt: skip
