"""Retention periods (Enforcement Rule Art. 15), counted from a record's last service date."""

from datetime import date

RETENTION_YEARS: dict[str, int] = {
    "patient_register": 5,
    "medical_record": 10,
    "prescription": 2,
    "surgery_record": 10,
    "test_record": 5,
    "radiology": 5,
    "nursing_record": 5,
    "midwifery_record": 5,
    "certificate_copy": 3,
}


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year: the period ends on 28 February
        return day.replace(year=day.year + years, day=28)


def retention_until(kind: str, service_end: date) -> date:
    return add_years(service_end, RETENTION_YEARS[kind])
