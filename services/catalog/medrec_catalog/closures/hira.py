"""The public closure data of 건강보험심사평가원 (HIRA) as a stream of closures, read in constant
memory: "건강보험심사평가원_요양기관 폐업 현황" (data.go.kr 15051056, CSV, CP949 as published;
UTF-8 too). Its published headers are 요양기관명, 요양종별, 시도명, 시군구명 and 폐업일자;
HIRA publishes no 요양기관기호 for a closed clinic. The same headers under their code-table
names (종별코드명, 시도코드명, 시군구코드명, as the 개폐업 open API names them) are read alike.
A health centre's own list may add 요양기관기호, 도로명주소 (or 주소), 개폐업구분 (or 상태,
개폐업휴업구분: 폐업, 휴업; 개업 rows are skipped), 휴업일자, 전화번호 (not kept) and the
custody it knows: 보관구분 (개설자 보관, 보건소 보관, 미확인), 보관자, 보관자연락처.

Constant memory: the whole file is one transaction (`closures.service`), but it is read and
written a batch at a time; memory holds one batch, never the file.

A header it does not know, or one it needs missing, refuses the whole file before anything is
read further (`Refused`); so does a row it cannot read, with its line number. Pharmacies (약국)
are skipped: their records are not a 의료기관's under 의료법 제40조의2."""

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from medrec_catalog.models import InstitutionStatus
from medrec_shared.rules.custody import CustodyStatus
from medrec_shared.rules.regions import REGION_NAMES, region_code

# header → field (None: read and not kept)
HEADERS: dict[str, str | None] = {
    "요양기관기호": "code",
    "요양기관명": "name",
    "요양종별": "type",
    "종별코드명": "type",
    "시도명": "region",
    "시도코드명": "region",
    "시군구명": "district",
    "시군구코드명": "district",
    "도로명주소": "address",
    "주소": "address",
    "개폐업구분": "state",
    "개폐업휴업구분": "state",  # as the 개폐업정보조회서비스 names it
    "상태": "state",
    "폐업일자": "closed_on",
    "휴업일자": "suspended_on",
    "전화번호": None,
    "보관구분": "custody",
    "보관자": "holder",
    "보관자연락처": "contact",
}
REQUIRED = ("name", "type", "region", "district")
CUSTODY_WORDS: dict[str, CustodyStatus] = {
    "개설자보관": CustodyStatus.founder,
    "보건소보관": CustodyStatus.health_centre,
    "미확인": CustodyStatus.unknown,
}
STATES = {"폐업": InstitutionStatus.closed, "휴업": InstitutionStatus.suspended}
SKIPPED_TYPES = frozenset({"약국"})
SNIFF_BYTES = 64 * 1024
LIMITS = {"name": 200, "type": 50, "address": 300, "holder": 200, "contact": 200}


class Refused(Exception):
    """The file is not one this reads: nothing of it is to be kept."""


@dataclass(frozen=True)
class Closure:
    code: str | None  # the 요양기관기호 when the file has it
    key: str  # the natural key: name (spacing ignored), type, region, district, date
    name: str
    type: str
    region: str
    address: str
    status: InstitutionStatus
    closed_on: date
    custody: CustodyStatus | None  # None: the file says nothing of it
    holder: str | None
    contact: str | None


def encoding_of(head: bytes) -> str:
    """UTF-8 (with or without its BOM) when the file's first bytes read as such, else CP949."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp949"
    return "utf-8-sig"


def columns(header: list[str]) -> dict[str, int]:
    """field → column index; `Refused` naming the headers it does not know or misses."""
    found: dict[str, int] = {}
    unknown = [h for h in (c.strip() for c in header) if h not in HEADERS]
    if unknown:
        raise Refused(f"unknown columns: {', '.join(unknown)}")
    for index, name in enumerate(header):
        field = HEADERS[name.strip()]
        if field is None:
            continue
        if field in found:
            raise Refused(f"two columns for one field: {name.strip()}")
        found[field] = index
    missing = [f for f in REQUIRED if f not in found]
    if "closed_on" not in found and "suspended_on" not in found:
        missing.append("closed_on")
    if missing:
        wanted = {v: k for k, v in reversed(HEADERS.items()) if v}
        raise Refused(f"missing columns: {', '.join(wanted[f] for f in missing)}")
    return found


def parse_date(text: str) -> date:
    digits = text.strip().replace("-", "").replace(".", "").replace("/", "")
    if len(digits) != 8 or not digits.isdigit():
        raise ValueError(f"not a date: {text!r}")
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))


def region_name(text: str) -> str:
    """The region's short name (서울, 경기) when known: one spelling for search and filters."""
    code = region_code(text)
    return REGION_NAMES[code][0] if code else text.strip()


def natural_key(name: str, type_: str, region: str, district: str, closed_on: date) -> str:
    folded = "".join(name.split()).lower()
    joined = "|".join((folded, type_, region, "".join(district.split()), closed_on.isoformat()))
    return hashlib.sha256(joined.encode()).hexdigest()


def _closure(row: list[str], at: dict[str, int]) -> Closure | None:
    def get(field: str) -> str:
        index = at.get(field)
        return row[index].strip() if index is not None and index < len(row) else ""

    for field, limit in LIMITS.items():
        if len(get(field)) > limit:
            raise ValueError(f"{field} longer than {limit}")
    state = get("state")
    if state and state not in STATES:
        return None  # 개업 and the like: not a closure
    if get("type") in SKIPPED_TYPES:
        return None
    for field in REQUIRED:
        if not get(field):
            raise ValueError(f"empty {field}")
    status = STATES.get(state) or (
        InstitutionStatus.closed if get("closed_on") else InstitutionStatus.suspended
    )
    when = get("closed_on") if status == InstitutionStatus.closed else get("suspended_on")
    closed_on = parse_date(when or get("closed_on") or get("suspended_on"))
    code = get("code") or None
    if code is not None and (len(code) != 8 or not code.isdigit()):
        raise ValueError("요양기관기호 is not 8 digits")
    custody_text = "".join(get("custody").split())
    custody = CUSTODY_WORDS.get(custody_text) if custody_text else None
    if custody_text and custody is None:
        raise ValueError(f"unknown 보관구분: {get('custody')!r}")
    holder, contact = get("holder") or None, get("contact") or None
    if custody in (CustodyStatus.founder, CustodyStatus.health_centre) and not (holder and contact):
        raise ValueError("개설자 보관 and 보건소 보관 need 보관자 and 보관자연락처")
    if custody == CustodyStatus.unknown:
        holder = contact = None
    region = region_name(get("region"))
    district = get("district")
    return Closure(
        code=code,
        key=natural_key(get("name"), get("type"), region, district, closed_on),
        name=get("name"),
        type=get("type"),
        region=region,
        address=get("address") or f"{get('region')} {district}",
        status=status,
        closed_on=closed_on,
        custody=custody,
        holder=holder,
        contact=contact,
    )


@dataclass
class Tally:
    read: int = 0
    skipped: int = 0


def read_closures(stream: BinaryIO, tally: Tally) -> Iterator[Closure]:
    """The file's closures, one row at a time; `Refused` for a header it does not know or a row
    it cannot read (by line). `tally` counts the rows read and skipped."""
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding_of(head), newline="")
    rows = csv.reader(text)
    try:
        header = next(rows)
    except StopIteration:
        raise Refused("the file is empty") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise Refused(f"the header cannot be read: {type(error).__name__}") from None
    at = columns(header)
    line = 1
    try:
        for line, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue
            tally.read += 1
            try:
                closure = _closure(row, at)
            except ValueError as error:
                raise Refused(f"line {line}: {error}") from None
            if closure is None:
                tally.skipped += 1
                continue
            yield closure
    except (UnicodeDecodeError, csv.Error) as error:
        raise Refused(f"line {line + 1}: cannot be read ({type(error).__name__})") from None
