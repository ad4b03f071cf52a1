"""폐업 의료기관 in the console over the whole stack, in Chromium: a health centre's person finds
their region's closed clinics (imported from the closure data) and not another region's, sets a
clinic's custody (개설자 보관, with who and how to ask) which the public directory then shows, is
told in Korean what is missing, and is refused another region's clinic; platform staff see every
region. The pages are scanned by axe-core and photographed (console-closures*.png)."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from tests.support.console import StaffAccount, StaffAtConsole, create_staff

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "console-closures-새비밀번호-2026"
COLUMNS = "요양기관기호,요양기관명,요양종별,시도명,시군구명,도로명주소,폐업일자"


@dataclass(frozen=True)
class World:
    seoul_code: str
    busan_code: str
    health_centre: StaffAccount
    platform: StaffAccount


@pytest.fixture(scope="module")
def world(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> World:
    n = uuid.uuid4().int % 100_000
    seoul_code, busan_code = f"118{n:05d}", f"268{n:05d}"
    rows = (
        f"{seoul_code},한강콘솔의원,의원,서울특별시,용산구,서울 용산구 1,20250101",
        f"{busan_code},광안콘솔의원,의원,부산광역시,수영구,부산 수영구 2,20240101",
    )
    file = Path(tmp_path_factory.mktemp("closures")) / "closures.csv"
    file.write_bytes(("\r\n".join((COLUMNS, *rows)) + "\r\n").encode("cp949"))
    cluster.import_closures(file)
    suffix = uuid.uuid4().hex[:6]
    return World(
        seoul_code=seoul_code, busan_code=busan_code,
        health_centre=create_staff(cluster, login=f"hc.han.{suffix}", name="한보건",
                                   organisation="hc:11", roles=["health_centre"], region="11"),
        platform=create_staff(cluster, login=f"ops.yun.{suffix}", name="윤운영",
                              organisation="khis", roles=["platform"]),
    )  # fmt: skip


@pytest.fixture(scope="module")
def people(staff_people: Any, world: World) -> Iterator[dict[str, StaffAtConsole]]:
    signed_in: dict[str, StaffAtConsole] = {}
    for key in ("health_centre", "platform"):
        person: StaffAtConsole = staff_people()
        person.sign_in_as(getattr(world, key))
        person.choose_password(NEW_PASSWORD)
        signed_in[key] = person
    yield signed_in


def _main(person: StaffAtConsole) -> str:
    return person.page.locator("main").inner_text()


def test_a_health_centre_finds_its_regions_closures_and_sets_a_custody(
    cluster: Cluster, world: World, people: dict[str, StaffAtConsole]
) -> None:
    han = people["health_centre"]
    assert "폐업 의료기관" in han.menu()
    page = han.open("/closures?q=콘솔")
    han.look("closures")
    listed = page.locator("main table").inner_text()
    assert "한강콘솔의원" in listed and "광안콘솔의원" not in listed
    assert page.locator("#f-region").is_disabled()
    page = han.open("/closures?q=콘솔&region=26")  # asking for another region changes nothing
    assert "광안콘솔의원" not in _main(han)
    page = han.open("/closures?q=콘솔")
    page.get_by_role("link", name="한강콘솔의원").click()
    page.wait_for_load_state()
    han.look("closure")
    page.get_by_label("보관 상태", exact=True).select_option("founder")
    page.get_by_role("button", name="저장").click()
    page.wait_for_load_state()
    text = _main(han)
    assert "누가 보관하는지 입력해 주세요" in text and "연락처를 입력해 주세요" in text
    han.look("closure-invalid")
    page.get_by_label("보관자", exact=True).fill("개설자 한강")
    page.get_by_label("연락처", exact=True).fill("02-700-0007")
    page.get_by_role("button", name="저장").click()
    page.wait_for_load_state()
    assert "보관 정보를 저장했습니다" in _main(han)
    public = httpx.get(f"{cluster.url('catalog')}/v1/institutions/{world.seoul_code}", timeout=30)
    assert public.json()["custody"] == {
        "status": "founder",
        "label": "개설자 보관",
        "holder": "개설자 한강",
        "contact": "02-700-0007",
    }


def test_another_regions_clinic_is_refused_and_platform_sees_every_region(
    world: World, people: dict[str, StaffAtConsole]
) -> None:
    han = people["health_centre"]
    page = han.open(f"/closures/{world.busan_code}")
    page.get_by_label("보관 상태", exact=True).select_option("unknown")
    page.get_by_role("button", name="저장").click()
    page.wait_for_load_state()
    assert "소속 지역의 의료기관만 보관 정보를 정할 수 있습니다" in _main(han)
    yun = people["platform"]
    page = yun.open("/closures?q=콘솔")
    listed = page.locator("main table").inner_text()
    assert "한강콘솔의원" in listed and "광안콘솔의원" in listed
    assert not page.locator("#f-region").is_disabled()


def test_the_custody_form_is_refused_without_its_csrf_token(
    world: World, people: dict[str, StaffAtConsole]
) -> None:
    yun = people["platform"]
    page = yun.open("/closures")
    forms: list[dict[str, str | float | bool]] = [{}, {"csrf_token": "0" * 64, "status": "x"}]
    for form in forms:
        refused = page.request.post(
            yun.base + f"/closures/{world.seoul_code}/custody", form=form, max_redirects=0
        )
        assert refused.status == 403
        assert "보안 확인에 실패했습니다" in refused.text()
