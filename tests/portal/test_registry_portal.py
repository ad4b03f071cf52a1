"""휴·폐업 의료기관 찾기 with the registry, in Chromium against the whole stack: a clinic imported
from the closure data as 개설자 보관 is found by part of its name with its holder and contact,
every clinic shows its custody label, 보관 상태 filters, and the list reads as cards on a phone."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from medrec_devstack.cluster import Cluster
from tests.support.browser import PHONE, Person, fits_a_phone

COLUMNS = "요양기관명,요양종별,시도명,시군구명,도로명주소,폐업일자,보관구분,보관자,보관자연락처"
ROWS = (
    "솔빛찾기내과의원,의원,서울,은평구,은평 1,20250331,개설자 보관,개설자 솔빛,02-300-0001",
    "별빛찾기치과의원,치과의원,부산광역시,중구,부산 중구 2,20240615,보건소 보관,중구보건소,051-1",
    "달빛찾기한의원,한의원,경기도,안양시,경기 안양시 3,20231130,,,",
)


@pytest.fixture(scope="module")
def visitor(cluster: Cluster, people, tmp_path_factory: pytest.TempPathFactory) -> Person:  # type: ignore[no-untyped-def]
    file = tmp_path_factory.mktemp("closures") / "closures.csv"
    file.write_bytes(("\r\n".join((COLUMNS, *ROWS)) + "\r\n").encode("cp949"))
    assert "3 new" in cluster.import_closures(Path(file))
    made: Person = people()
    return made


def test_a_clinic_imported_as_founder_kept_is_found_with_its_holder(visitor: Person) -> None:
    page = visitor.open("/institutions")
    page.get_by_label("의료기관 이름").fill("솔빛 찾기")
    page.get_by_role("button", name="찾기").click()
    row = page.locator("tbody tr", has_text="솔빛찾기내과의원")
    expect(row).to_contain_text("개설자 보관")
    expect(row).to_contain_text("개설자 솔빛")
    expect(row).to_contain_text("02-300-0001")


def test_every_clinic_shows_its_custody_and_the_status_filters(visitor: Person) -> None:
    page = visitor.open("/institutions?q=찾기")
    table = page.locator("table")
    expect(table).to_contain_text("보건소 보관")
    expect(table).to_contain_text("중구보건소")
    expect(page.locator("tbody tr", has_text="달빛찾기한의원")).to_contain_text("미확인")
    visitor.look("portal-institutions-registry")
    page.get_by_label("보관 상태").select_option("health_centre")
    page.get_by_role("button", name="찾기").click()
    expect(table).to_contain_text("별빛찾기치과의원")
    expect(table).not_to_contain_text("솔빛찾기내과의원")


def test_the_list_reads_as_cards_on_a_phone(visitor: Person) -> None:
    page = visitor.page
    page.set_viewport_size(PHONE)
    page = visitor.open("/institutions?q=찾기")
    fits_a_phone(page, "솔빛찾기내과의원", "개설자 솔빛", "02-300-0001", "중구보건소")
