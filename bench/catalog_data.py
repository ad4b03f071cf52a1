"""The catalog a benchmark reads: institutions with Korean names and a person's records, made up
deterministically and loaded with COPY straight into catalog's tables. A million deposits
through the API would take hours and measure ingest; the read paths only need the rows.

The shape, from the service's own figures: about 700 clinics hold records in its first months,
so records sit in the first `HOLDING` institutions of a directory of many more; a person has
about ten records (Poisson around `records / persons`), from one or two clinics; one record in
twenty is destroyed and one in fifty withdrawn, which the lists must skip."""

import hashlib
import random
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import asyncpg

from medrec_shared.rules.records import RecordKind, Specialty

HOLDING = 1_000  # institutions that hold records
RECORDS_PER_PERSON = 10

_PLACES = ("서울", "부산", "대구", "인천", "광주", "대전", "울산", "수원", "성남", "고양", "용인",
           "청주", "전주", "창원", "제주", "포항", "김해", "안산", "남양주", "화성")  # fmt: skip
_WORDS = ("행복한", "밝은", "연세", "하나", "우리", "새봄", "푸른", "미소", "튼튼", "사랑", "가족",
          "바른", "참", "열린", "드림", "중앙", "제일", "성모", "예인", "온누리", "한빛", "다온",
          "봄날", "서울", "365", "김", "이", "박", "최", "정", "강", "조", "윤",
          "장", "임")  # fmt: skip
_KINDS = (("의원", "의원"), ("내과의원", "의원"), ("소아청소년과의원", "의원"),
          ("치과의원", "치과의원"), ("한의원", "한의원"), ("정형외과의원", "의원"),
          ("이비인후과의원", "의원"), ("피부과의원", "의원"), ("산부인과의원", "의원"),
          ("안과의원", "의원"), ("가정의학과의원", "의원"), ("병원", "병원"),
          ("요양병원", "요양병원"))  # fmt: skip
# What people type into the search box: part of a name, never all of it.
QUERIES = ("행복", "연세내과", "치과", "소아", "튼튼", "부산", "한의원", "미소치과", "우리가족",
           "성모", "정형외과", "김내과", "365", "요양", "푸른이비인후과", "드림", "새봄", "온누리",
           "피부과", "다온")  # fmt: skip

INSTITUTION_COLUMNS = ("code", "name", "type", "address", "region", "status", "closed_on")
RECORD_COLUMNS = ("record_id", "person_key", "institution_code", "kind", "specialty", "title",
                  "department", "service_start", "service_end", "content_type", "size",
                  "sha256", "retention_until", "retention_extended", "status")  # fmt: skip
_RECORD_KINDS = tuple(k.value for k in RecordKind)
_EPOCH = date(2000, 1, 1)


def code_of(n: int) -> str:
    return f"{31_000_000 + n:08d}"


def institutions(count: int) -> Iterator[tuple[object, ...]]:
    rng = random.Random(16)
    for n in range(count):
        place = rng.choice(_PLACES)
        suffix, type_ = rng.choice(_KINDS)
        name = f"{place}{rng.choice(_WORDS)}{suffix}"
        status = "closed" if n % 5 else "suspended"
        closed = _EPOCH + timedelta(days=rng.randrange(9000))
        yield (code_of(n), name, type_, f"{place} 중앙로 {n % 300 + 1}", place, status, closed)


def person_key_of(n: int) -> str:
    """A person who never verified in this run: a keyed hash's shape, nobody's value."""
    return hashlib.sha256(f"bench-person-{n}".encode()).hexdigest()


def records(
    start: int, count: int, persons: int, verified: list[str]
) -> Iterator[tuple[object, ...]]:
    """Records `start` … `start + count - 1`; person n < len(verified) is verified[n]."""
    rng = random.Random(start)
    specialties = {"치과의원": Specialty.dental.value, "한의원": Specialty.korean_medicine.value}
    for n in range(start, start + count):
        person = rng.randrange(persons)
        key = verified[person] if person < len(verified) else person_key_of(person)
        clinic = (person * 7 + (n % 2)) % HOLDING  # one or two clinics per person
        end = _EPOCH + timedelta(days=rng.randrange(9300))
        status = "destroyed" if n % 20 == 0 else "withdrawn" if n % 50 == 1 else "available"
        yield (
            uuid.UUID(int=rng.getrandbits(128)),
            key,
            code_of(clinic),
            _RECORD_KINDS[n % len(_RECORD_KINDS)],
            specialties.get(_KINDS[clinic % len(_KINDS)][1], Specialty.medical.value),
            f"외래 진료기록 {n}",
            "내과",
            end - timedelta(days=rng.randrange(30)),
            end,
            "application/fhir+json",
            10_240,
            f"{n:064x}",
            end + timedelta(days=3650),
            False,
            status,
        )


async def load(
    dsn: str, table: str, columns: tuple[str, ...], rows: Iterator[tuple[object, ...]]
) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(table, records=rows, columns=list(columns))
        # What autovacuum does to a table at rest: hint bits set and the visibility map built
        # (so the first reader does not write every page), and the planner's statistics.
        await connection.execute(f"VACUUM (ANALYZE) {table}")
    finally:
        await connection.close()


# The registry (#29): closures as the HIRA import writes them, most nobody has said anything of.
CLOSURE_COLUMNS = (*INSTITUTION_COLUMNS, "source", "hira_key", "custody_status",
                   "custody_holder", "custody_contact")  # fmt: skip
_CUSTODIES = ("unknown", "unknown", "unknown", "founder", "health_centre")


def closure_code_of(n: int) -> str:
    """An imported closure's code, from `institution_import_codes`' range."""
    return f"{95_000_000 + n:08d}"


def closures(count: int) -> Iterator[tuple[object, ...]]:
    rng = random.Random(29)
    for n in range(count):
        place = rng.choice(_PLACES)
        suffix, type_ = rng.choice(_KINDS)
        name = f"{place}{rng.choice(_WORDS)}{suffix}"
        custody = _CUSTODIES[n % len(_CUSTODIES)]
        holder = {"founder": f"개설자 {n}", "health_centre": f"{place}보건소"}.get(custody)
        contact = f"02-{n % 10_000:04d}-{n % 7_919:04d}" if holder else None
        closed = _EPOCH + timedelta(days=rng.randrange(9000))
        key = hashlib.sha256(f"bench-closure-{n}".encode()).hexdigest()
        yield (closure_code_of(n), name, type_, f"{place} 중앙로 {n % 300 + 1}", place, "closed",
               closed, "hira", key, custody, holder, contact)  # fmt: skip
