"""Reading the public closure data: its published headers in CP949 or UTF-8, a refusal for any
column it does not know or any row it cannot read, and the natural key a re-import finds."""

import io
from datetime import date

import pytest

from medrec_catalog.closures.hira import Closure, Refused, Tally, read_closures
from medrec_catalog.models import InstitutionStatus
from medrec_shared.rules.custody import CustodyStatus

PUBLISHED = "요양기관명,요양종별,시도명,시군구명,폐업일자\n"
CUSTODY = "요양기관명,요양종별,시도명,시군구명,폐업일자,보관구분\n"


def closures(text: str, encoding: str = "utf-8") -> list[Closure]:
    return list(read_closures(io.BytesIO(text.encode(encoding)), Tally()))


def test_the_published_file_reads_in_cp949_as_in_utf8() -> None:
    body = PUBLISHED + "푸른 숲 의원,의원,서울특별시,강남구,20250630\n"
    for encoding in ("cp949", "utf-8", "utf-8-sig"):
        (clinic,) = closures(body, encoding)
        assert clinic.name == "푸른 숲 의원"
        assert clinic.region == "서울"  # one spelling of the region
        assert clinic.closed_on == date(2025, 6, 30)
        assert clinic.status == InstitutionStatus.closed
        assert clinic.code is None and clinic.custody is None


def test_the_natural_key_ignores_spacing_and_the_region_spelling() -> None:
    (a,) = closures(PUBLISHED + "푸른 숲 의원,의원,서울특별시,강남구,2025-06-30\n")
    (b,) = closures(PUBLISHED + "푸른숲의원,의원,서울,강남구,20250630\n")
    assert a.key == b.key


def test_custody_columns_and_the_health_centres_code() -> None:
    header = (
        "요양기관기호,요양기관명,종별코드명,시도코드명,시군구코드명,주소,폐업일자,"
        "보관구분,보관자,보관자연락처\n"
    )
    row = (
        "11310021,미소치과의원,치과의원,서울,송파구,서울 송파구 1,20240301,"
        "보건소 보관,송파구보건소,02-1\n"
    )
    (clinic,) = closures(header + row)
    assert clinic.code == "11310021"
    assert clinic.custody == CustodyStatus.health_centre
    assert (clinic.holder, clinic.contact) == ("송파구보건소", "02-1")


def test_pharmacies_and_openings_are_skipped() -> None:
    header = "요양기관명,요양종별,시도명,시군구명,개폐업구분,폐업일자,휴업일자\n"
    rows = (
        "가약국,약국,서울,중구,폐업,20240101,\n"
        "나의원,의원,서울,중구,개업,,\n"
        "다의원,의원,서울,중구,휴업,,20240202\n"
    )
    tally = Tally()
    found = list(read_closures(io.BytesIO((header + rows).encode()), tally))
    assert [(c.name, c.status, c.closed_on) for c in found] == [
        ("다의원", InstitutionStatus.suspended, date(2024, 2, 2))
    ]
    assert (tally.read, tally.skipped) == (3, 2)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("요양기관명,요양종별,시도명,시군구명,폐업일자,비고\n", "unknown columns: 비고"),
        ("요양기관명,요양종별,시도명,폐업일자\n", "missing columns: 시군구명"),
        ("요양기관명,요양종별,시도명,시군구명\n", "missing columns: 폐업일자"),
        ("", "empty"),
        (PUBLISHED + "가의원,의원,서울,중구,2024\n", "line 2"),
        (PUBLISHED + "가의원,의원,서울,중구,20240101\n나의원,,서울,중구,20240101\n", "line 3"),
        (
            CUSTODY + "가의원,의원,서울,중구,20240101,창고\n",
            "보관구분",
        ),
        (
            CUSTODY + "가의원,의원,서울,중구,20240101,개설자 보관\n",
            "보관자",
        ),
    ],
)
def test_a_file_it_does_not_recognise_is_refused(text: str, why: str) -> None:
    with pytest.raises(Refused, match=why):
        closures(text)
