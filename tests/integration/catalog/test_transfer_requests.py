"""이관 요청 through the stack: a citizen asks for a clinic whose records are not held here (once,
however often asked); its region's health centre sees the clinic counted, most requested first,
and another region's health centre does not; when the clinic's transfer completes everyone who
asked finds one transfer_arrived notice in 알림함, and the clinic leaves the queue."""

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Depositor, Operator, eventually
from tests.support.builders import inline, record_body
from tests.support.stack import sql
from tests.support.staff import StaffClient, staff_on

SEOUL_A, SEOUL_B, BUSAN, HELD = "72900001", "72900002", "72900003", "72900004"
REGIONS = {SEOUL_A: "서울", SEOUL_B: "서울", BUSAN: "부산", HELD: "서울"}
NAMES = {SEOUL_A: "요청한의원", SEOUL_B: "요청치과의원", BUSAN: "부산요청의원", HELD: "보관된의원"}
PEOPLE = [
    ("한요청", "700101-1234561", "010-2929-0001"),
    ("한두번", "710202-2345672", "010-2929-0002"),
    ("한세번", "720303-1456783", "010-2929-0003"),
]
QUEUE = "/v1/admin/transfer-requests"


@dataclass(frozen=True)
class World:
    vendor: Depositor
    transfers: dict[str, str]  # code → open transfer id
    citizens: list[Citizen]
    seoul: StaffClient
    busan: StaffClient
    platform: StaffClient


@pytest.fixture(scope="module")
def world(cluster: Cluster) -> World:
    vendor = Depositor(cluster, *Operator(cluster).register_client(list(NAMES)))
    transfers = {}
    for code, name in NAMES.items():
        region = REGIONS[code]
        transfers[code] = vendor.open_transfer(code, name, institution={
            "code": code, "name": name, "type": "의원", "address": f"{region} 중구 1",
            "region": region})  # fmt: skip
    citizens = [Citizen(cluster, *person) for person in PEOPLE]
    # HELD's records are here: asking for it is pointless (409)
    body = record_body(PEOPLE[0][1], PEOPLE[0][0], "1970-01-01", inline(b"chart", "text/plain"))
    assert vendor.put_record(transfers[HELD], "held-1", body).status_code == 201
    public = httpx.Client(base_url=cluster.url("catalog"), timeout=30)

    def listed() -> bool:
        found = public.get("/v1/institutions", params={"limit": 500}).json()["items"]
        counts = {i["code"]: i["record_count"] for i in found}
        return set(NAMES) <= set(counts) and counts[HELD] == 1

    eventually(listed, what="the clinics in the directory, HELD's record counted")
    return World(
        vendor, transfers, citizens,
        seoul=staff_on(cluster, "catalog", "health_centre", prefix="hc11", organisation="hc:11",
                       region="11"),
        busan=staff_on(cluster, "catalog", "health_centre", prefix="hc26", organisation="hc:26",
                       region="26"),
        platform=staff_on(cluster, "catalog", "platform", prefix="plat"),
    )  # fmt: skip


def ask(citizen: Citizen, code: Any) -> httpx.Response:
    return citizen.catalog.post("/v1/me/transfer-requests", json={"institution_code": code})


def queue(staff: StaffClient, **params: str) -> dict[str, int]:
    """Our clinics in the queue, code → requests, in the order answered."""
    answer = staff.get(QUEUE, params=params)
    assert answer.status_code == 200, answer.text
    return {i["code"]: i["requests"] for i in answer.json()["items"] if i["code"] in NAMES}


def rows(cluster: Cluster) -> int:
    found = sql(cluster, "catalog", "SELECT count(*) AS n FROM transfer_requests "
                "WHERE institution_code = ANY($1::text[])", list(NAMES))  # fmt: skip
    return int(found[0]["n"])


def test_asking_counts_each_person_once_and_refuses_what_it_cannot_ask(
    cluster: Cluster, world: World
) -> None:
    first, second, third = world.citizens
    created = ask(first, SEOUL_A)
    assert created.status_code == 201, created.text
    assert created.json() == {"institution_code": SEOUL_A, "asked": True, "new": True}
    again = ask(first, SEOUL_A)
    assert again.status_code == 200 and again.json()["new"] is False
    assert ask(second, SEOUL_A).status_code == 201
    assert ask(third, SEOUL_B).status_code == 201
    assert ask(second, BUSAN).status_code == 201
    mine = first.catalog.get("/v1/me/transfer-requests")
    assert mine.status_code == 200 and mine.json() == {"institution_codes": [SEOUL_A]}

    before = rows(cluster)
    unknown = ask(first, "72999999")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    held = ask(first, HELD)
    assert held.status_code == 409 and held.json()["status"] == 409
    for bad in ({}, {"institution_code": "7290"}, {"institution_code": 72900001},
                {"institution_code": SEOUL_B, "name": "x"}):  # fmt: skip
        refused = first.catalog.post("/v1/me/transfer-requests", json=bad)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert rows(cluster) == before  # nothing changed
    # staff are not citizens; a citizen is not staff
    assert world.seoul.post("/v1/me/transfer-requests", json={"institution_code": SEOUL_B}
                            ).status_code == 403  # fmt: skip
    assert first.catalog.get(QUEUE).status_code == 403


def test_a_health_centre_sees_its_region_most_requested_first(world: World) -> None:
    seoul = queue(world.seoul)
    assert list(seoul) == [SEOUL_A, SEOUL_B] and seoul == {SEOUL_A: 2, SEOUL_B: 1}
    assert queue(world.busan) == {BUSAN: 1}
    assert queue(world.seoul, region="26") == {}  # another region's: not theirs to see
    assert queue(world.platform) == {SEOUL_A: 2, SEOUL_B: 1, BUSAN: 1}
    assert queue(world.platform, region="부산") == {BUSAN: 1}
    # no personal data in the queue
    answer = json.dumps(world.platform.get(QUEUE).json(), ensure_ascii=False)
    for name, rrn, phone in PEOPLE:
        assert name not in answer and rrn not in answer and phone not in answer
    keys = sql(world.platform.person.cluster, "catalog",
               "SELECT person_key FROM transfer_requests")  # fmt: skip
    assert not any(k["person_key"] in answer for k in keys)


def arrivals(citizen: Citizen) -> list[dict[str, Any]]:
    """The person's transfer_arrived notices (알림함)."""
    answer = citizen.catalog.get("/v1/me/notices", params={"limit": 100})
    assert answer.status_code == 200, answer.text
    return [n for n in answer.json()["items"] if n["kind"] == "transfer_arrived"]


def test_everyone_who_asked_is_told_once_when_the_clinic_transfers(
    cluster: Cluster, world: World
) -> None:
    body = record_body(PEOPLE[2][1], PEOPLE[2][0], "1972-03-03", inline(b"chart", "text/plain"))
    transfer = world.transfers[SEOUL_A]
    assert world.vendor.put_record(transfer, "a-1", body).status_code == 201
    done = world.vendor.complete(transfer, 1)
    assert done.status_code == 200, done.text

    first, second, third = world.citizens
    for citizen in (first, second):
        notices = eventually(lambda: arrivals(citizen), what="a transfer_arrived notice")  # noqa: B023
        assert len(notices) == 1, notices
        assert notices[0]["params"] == {"institution": NAMES[SEOUL_A]}
        assert NAMES[SEOUL_A] in notices[0]["text"]
    eventually(lambda: SEOUL_A not in queue(world.seoul), what="SEOUL_A leaves the queue")
    assert queue(world.seoul) == {SEOUL_B: 1}
    # held now: asking again is pointless; nobody is told twice, nobody who did not ask is told
    assert ask(first, SEOUL_A).status_code == 409
    assert [len(arrivals(c)) for c in (first, second, third)] == [1, 1, 0]
