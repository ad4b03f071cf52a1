"""The catalog a benchmark reads: institutions with Korean names and a person's records, made up
deterministically and loaded with COPY straight into catalog's tables. A million deposits
through the API would take hours and measure ingest; the read paths only need the rows.
`generate_records` makes the same records inside PostgreSQL (`INSERT … SELECT … FROM
generate_series` on two connections, indexes built after): 100 M rows in Python and COPY would
take hours.

The shape, from the service's own figures: about 700 clinics hold records in its first months,
so records sit in the first `HOLDING` institutions of a directory of many more; a person has
about ten records (Poisson around `records / persons`), from one or two clinics; one record in
twenty is destroyed and one in fifty withdrawn, which the lists must skip."""

import asyncio
import hashlib
import random
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
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


# Server-side generation (`generate_records`). The same shape as `records` (persons, clinics,
# dates, statuses, the verified citizens as the first persons), each value a hash of the
# record's number instead of a draw from a seeded generator. person_key_of's hashes come out
# the same, so a person is the same person in both.
_CHUNK = 1_000_000  # rows per INSERT: one statement a connection can finish in tens of seconds
_WRITERS = 2  # the bench machine's cores
_BITS = 9_223_372_036_854_775_807  # a hash's sign bit off


def _draw(seed: int, modulus: int | str) -> str:
    return f"((hashint8extended(n, {seed}) & {_BITS}) % {modulus})"


_GENERATED = f"""
    INSERT INTO records ({", ".join(RECORD_COLUMNS)})
    SELECT md5('bench-record-' || n)::uuid, key, (31000000 + clinic)::text,
           ($3::text[])[n % {len(_RECORD_KINDS)} + 1], ($4::text[])[clinic % {len(_KINDS)} + 1],
           '외래 진료기록 ' || n, '내과', service_end - {_draw(3, 30)}::int, service_end,
           'application/fhir+json', 10240, lpad(to_hex(n), 64, '0'), service_end + 3650, false,
           CASE WHEN n % 20 = 0 THEN 'destroyed' WHEN n % 50 = 1 THEN 'withdrawn'
                ELSE 'available' END
    FROM generate_series($1::bigint, $2::bigint - 1) AS n,
         LATERAL (SELECT {_draw(1, "$5::bigint")} AS person) AS p,
         LATERAL (SELECT CASE WHEN person < cardinality($6::text[]) THEN ($6::text[])[person + 1]
                         ELSE encode(sha256(convert_to('bench-person-' || person, 'UTF8')), 'hex')
                         END AS key,
                         (person * 7 + n % 2) % {HOLDING} AS clinic,
                         DATE '2000-01-01' + {_draw(2, 9300)}::int AS service_end) AS r
"""
_SPECIALTIES = [
    {"치과의원": Specialty.dental.value, "한의원": Specialty.korean_medicine.value}.get(
        type_, Specialty.medical.value
    )
    for _, type_ in _KINDS
]
# What a loaded record costs on disk (heap, its five indexes, free space after the index
# builds), measured at 10 M on both layouts (docs/performance.md, #32 national scale), and the
# room a load needs beyond it: WAL up to max_wal_size and the sort files of an index build.
BYTES_PER_RECORD = 500
LOAD_HEADROOM = 12 * 1024**3


@dataclass(frozen=True)
class Loaded:
    seconds: float
    database_bytes: int


async def _schema_of_records(
    connection: asyncpg.Connection,
) -> tuple[list[str], list[list[str]]]:
    """(drop, create) statements of records' indexes and primary keys, on either layout: the
    parent's (partitioned) indexes, and each partition's own primary key."""
    keys = await connection.fetch(
        """SELECT c.conrelid::regclass::text AS tab, c.conname, pg_get_constraintdef(c.oid) AS def
           FROM pg_constraint c
           WHERE c.contype = 'p' AND c.conrelid IN (
               SELECT relid FROM pg_partition_tree('records') WHERE isleaf)"""
    )
    indexes = await connection.fetch(
        """SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
           FROM pg_index i
           WHERE i.indrelid = 'records'::regclass AND NOT i.indisprimary"""
    )
    drop = [f"ALTER TABLE {k['tab']} DROP CONSTRAINT {k['conname']}" for k in keys]
    drop += [f"DROP INDEX {i['name']}" for i in indexes]
    create = [
        [f"ALTER TABLE {k['tab']} ADD CONSTRAINT {k['conname']} {k['def']}" for k in keys],
        # A partitioned index is shown as made `ON ONLY` the parent (none on its partitions).
        [i["def"].replace(" ON ONLY ", " ON ", 1) for i in indexes],
    ]
    return drop, create


async def refuse_without_room(dsn: str, records: int) -> None:
    """Stops a load the disk cannot hold before it fills the disk (the machine is shared)."""
    connection = await asyncpg.connect(dsn)
    try:
        directory = await connection.fetchval("SHOW data_directory")
        held = await connection.fetchval("SELECT count(*) FROM records")
    finally:
        await connection.close()
    needed = (records - held) * BYTES_PER_RECORD + LOAD_HEADROOM
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise SystemExit(
            f"BENCH_CATALOG_RECORDS={records:,} needs about {needed / 1024**3:.0f} GB free on "
            f"the disk of {directory} ({BYTES_PER_RECORD} bytes a record and "
            f"{LOAD_HEADROOM / 1024**3:.0f} GB for WAL and index builds); it has "
            f"{free / 1024**3:.0f} GB. Free some, or ask for fewer records."
        )


async def generate_records(
    dsn: str, start: int, count: int, persons: int, verified: list[str]
) -> Loaded:
    """Records `start` … `start + count - 1` made by PostgreSQL, on `_WRITERS` connections.
    The indexes and primary keys go first and are built after (one sort each instead of a
    hundred million inserts into five B-trees), the count triggers are off during the load and
    the counts made again once at the end; then VACUUM (ANALYZE), as autovacuum would leave
    the table at rest."""
    started = time.perf_counter()
    connections = [await asyncpg.connect(dsn) for _ in range(_WRITERS)]
    first = connections[0]
    try:
        drop, create = await _schema_of_records(first)
        for statement in [*drop, "ALTER TABLE records DISABLE TRIGGER USER"]:
            await first.execute(statement)
        chunks = [(n, min(n + _CHUNK, start + count)) for n in range(start, start + count, _CHUNK)]

        async def writer(connection: asyncpg.Connection) -> None:
            while chunks:
                low, high = chunks.pop(0)
                await connection.execute(
                    _GENERATED, low, high, list(_RECORD_KINDS), _SPECIALTIES, persons, verified
                )

        await asyncio.gather(*(writer(c) for c in connections))
        # Each key and index is one sort, two at a time (one a core): the partitions' keys
        # first (each locks only its partition), then the parent's indexes (which lock every
        # partition in share mode, as each other do, but not as a key's build does).
        for phase in create:
            builds = list(phase)

            async def builder(connection: asyncpg.Connection, builds: list[str] = builds) -> None:
                await connection.execute("SET maintenance_work_mem = '512MB'")
                while builds:
                    await connection.execute(builds.pop(0))

            await asyncio.gather(*(builder(c) for c in connections))
        await first.execute("ALTER TABLE records ENABLE TRIGGER USER")
        async with first.transaction():
            await first.execute("DELETE FROM institution_record_counts")
            await first.execute(
                "INSERT INTO institution_record_counts (institution_code, status, records) "
                "SELECT institution_code, status, count(*) FROM records "
                "GROUP BY institution_code, status"
            )
        await first.execute("VACUUM (ANALYZE) records")
        await first.execute("ANALYZE institution_record_counts")
        size = await first.fetchval("SELECT pg_database_size(current_database())")
    finally:
        for connection in connections:
            await connection.close()
    return Loaded(time.perf_counter() - started, int(size))
