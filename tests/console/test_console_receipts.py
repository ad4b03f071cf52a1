"""이관확인서 in the console (#29), over the whole stack in Chromium: a completed transfer's page
shows what the depositor declared against what was stored (every difference named) and the
region's health centre confirms its receipt, once, audited; another region's transfer is not
found, and an open transfer offers nothing to confirm. axe-core and a screenshot
(console-transfer-receipt.png)."""

import hashlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Depositor, Operator, eventually
from tests.support.builders import NOTE, a_record, inline, new_code
from tests.support.console import StaffAccount, StaffAtConsole, create_staff
from tests.support.stack import sql

pytestmark = pytest.mark.e2e
PASSWORD = "console-receipt-새비밀번호-2026"
DIGEST = hashlib.sha256(NOTE.encode()).hexdigest()


@dataclass(frozen=True)
class World:
    seoul: str  # completed, with a declaration that disagrees
    seoul_open: str
    busan: str  # completed, another region
    health_centre: StaffAccount


def _institution(code: str, name: str, region: str) -> dict[str, str]:
    return {"code": code, "name": name, "type": "의원", "address": f"{name} 주소 1",
            "region": region}  # fmt: skip


def _completed(vendor: Depositor, code: str, name: str, region: str, **complete: Any) -> str:
    transfer_id = vendor.open_transfer(code, name, institution=_institution(code, name, region))
    for external_id in ("r-1", "r-2"):
        record = a_record(content=inline(NOTE.encode(), "text/plain"), title=external_id)
        assert vendor.put_record(transfer_id, external_id, record).status_code == 201
    done = vendor.complete(transfer_id, 2, **complete)
    assert done.status_code == 200, done.text
    return transfer_id


@pytest.fixture(scope="module")
def world(cluster: Cluster) -> World:
    operator = Operator(cluster)
    seoul_code, open_code, busan_code = new_code(), new_code(), new_code()
    vendor = Depositor(cluster, *operator.register_client([seoul_code, open_code, busan_code]))
    declared = {
        "counts": {"medical_record": 3},
        "manifest": [{"external_id": i, "sha256": DIGEST} for i in ("r-1", "r-2", "r-lost")],
    }
    seoul = _completed(
        vendor, seoul_code, "서울확인의원", "11", declared=declared, allow_missing=True
    )
    seoul_open = vendor.open_transfer(
        open_code, "서울진행의원", institution=_institution(open_code, "서울진행의원", "11")
    )
    busan = _completed(vendor, busan_code, "부산확인의원", "26")
    suffix = uuid.uuid4().hex[:6]
    return World(
        seoul=seoul, seoul_open=seoul_open, busan=busan,
        health_centre=create_staff(cluster, login=f"hc.receipt.{suffix}", name="정보건",
                                   organisation="hc:11", roles=["health_centre"], region="11"),
    )  # fmt: skip


def test_the_health_centre_confirms_the_receipt_of_its_regions_transfer(
    cluster: Cluster, world: World, staff_people: Any
) -> None:
    person: StaffAtConsole = staff_people()
    person.sign_in_as(world.health_centre)
    person.choose_password(PASSWORD)

    page = person.open(f"/transfers/{world.seoul}")
    main = page.locator("main").inner_text()
    assert "이관확인서" in main and "기관이 신고한 내용과 저장된 기록이 다릅니다" in main
    assert "진료기록부 건수" in main and "r-lost" in main
    person.look("transfer-receipt")
    page.get_by_role("button", name="이관확인서 확인").click()
    page.wait_for_url(f"**/transfers/{world.seoul}?done=receipt")
    main = page.locator("main").inner_text()
    assert "이관확인서를 확인했습니다" in main
    assert f"{world.health_centre.login}님이" in main
    assert page.get_by_role("button", name="이관확인서 확인").count() == 0

    def audited() -> list[Any] | None:
        # Off Playwright's event loop: the look into the database runs a loop of its own.
        with ThreadPoolExecutor(1) as pool:
            rows = pool.submit(
                sql, cluster, "catalog",
                "SELECT actor, act FROM staff_audit WHERE resource_id = $1", world.seoul,
            ).result()  # fmt: skip
        return rows or None

    rows = eventually(audited, what="the confirmation in the audit trail")
    assert [(r["actor"], r["act"]) for r in rows] == [
        (world.health_centre.login, "transfer.confirm_receipt")
    ]

    # An open transfer has no receipt to confirm; another region's is not found.
    page = person.open(f"/transfers/{world.seoul_open}")
    assert page.get_by_role("button", name="이관확인서 확인").count() == 0
    answer = page.request.get(person.base + f"/transfers/{world.busan}", max_redirects=0)
    assert answer.status == 404
