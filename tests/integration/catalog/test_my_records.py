"""A person's own records, newest care first, filtered, paged and grouped; and their access log."""

from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Institution, Operator, bearer, eventually
from tests.support.builders import inline, record_body, structured_medical

RRN, NAME, BIRTH = "750505-2345678", "오세린", "1975-05-05"
OTHER_RRN = "750505-1345679"
TEXT = "text/plain"


@pytest.fixture(scope="module")
def person(cluster: Cluster) -> Citizen:
    client_id, secret = Operator(cluster).register_client(["52000001", "52000002"])
    vendor = Institution(cluster, client_id, secret)
    medical = vendor.open_transfer("52000001", "한빛내과의원")
    dental = vendor.open_transfer("52000002", "한빛치과의원")
    deposits = [
        (medical, "m-1", {"service_start": "2020-01-05", "service_end": "2020-01-05"}),
        (
            medical,
            "m-2",
            {"service_start": "2025-02-01", "service_end": "2025-02-03", "kind": "prescription"},
        ),
        (
            medical,
            "m-3",
            {"service_start": "2024-07-01", "service_end": "2024-07-09", "kind": "test_record"},
        ),
        (
            dental,
            "d-1",
            {"service_start": "2023-03-01", "service_end": "2023-03-01", "specialty": "dental"},
        ),
        (
            dental,
            "d-2",
            {"service_start": "2025-11-11", "service_end": "2025-11-30", "specialty": "dental"},
        ),
    ]
    for transfer, external_id, fields in deposits:
        body = record_body(RRN, NAME, BIRTH, inline(structured_medical("기록"), TEXT), **fields)
        assert vendor.put_record(transfer, external_id, body).status_code == 201
    other = record_body(OTHER_RRN, "오세진", BIRTH, inline(b"other", TEXT))
    assert vendor.put_record(medical, "other-1", other).status_code == 201
    citizen = Citizen(cluster, NAME, RRN)
    # Records and their institution's name come on different topics (RecordStored,
    # TransferOpened), so a record may be listed a moment before its institution is named.
    eventually(
        lambda: [r["institution"]["name"] is not None for r in citizen.records()] == [True] * 5,
        what="five records in catalog, each with its institution's name",
    )
    return citizen


def ends(items: list[dict[str, Any]]) -> list[str]:
    return [r["service_end"] for r in items]


def test_newest_care_first_and_only_the_persons_own(person: Citizen) -> None:
    items = person.records()
    assert ends(items) == ["2025-11-30", "2025-02-03", "2024-07-09", "2023-03-01", "2020-01-05"]
    assert {r["institution"]["name"] for r in items} == {"한빛내과의원", "한빛치과의원"}


def test_filters(person: Citizen) -> None:
    assert ends(person.records(specialty="dental")) == ["2025-11-30", "2023-03-01"]
    assert ends(person.records(kind="prescription")) == ["2025-02-03"]
    assert ends(person.records(institution="52000001", kind="test_record")) == ["2024-07-09"]
    assert person.records(institution="52000009") == []


def test_a_period_keeps_the_care_that_overlaps_it(person: Citizen) -> None:
    assert ends(person.records(**{"from": "2024-07-09"})) == [
        "2025-11-30",
        "2025-02-03",
        "2024-07-09",
    ]
    assert ends(person.records(to="2023-03-01")) == ["2023-03-01", "2020-01-05"]
    # m-3 ran 2024-07-01 to 07-09: a period inside it still finds it
    assert ends(person.records(**{"from": "2024-07-03", "to": "2024-07-04"})) == ["2024-07-09"]
    assert ends(person.records(**{"from": "2023-01-01", "to": "2025-02-01"})) == [
        "2025-02-03", "2024-07-09", "2023-03-01",
    ]  # fmt: skip
    assert person.records(**{"from": "2021-01-01", "to": "2022-12-31"}) == []
    both = {"from": "2023-01-01", "to": "2025-12-31", "specialty": "dental"}
    assert ends(person.records(**both)) == ["2025-11-30", "2023-03-01"]


def test_a_period_pages_in_the_same_order(person: Citizen) -> None:
    period = {"from": "2021-01-01", "to": "2025-12-31"}
    seen: list[str] = []
    params: dict[str, Any] = period | {"limit": 1}
    while True:
        body = person.catalog.get("/v1/me/records", params=params).json()
        seen += [r["record_id"] for r in body["items"]]
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert seen == [r["record_id"] for r in person.records(**period)]
    assert len(seen) == 4
    groups = person.catalog.get("/v1/me/records", params=period).json()["groups"]
    assert {g["specialty"]: g["count"] for g in groups} == {"dental": 2, "medical": 2}


def test_pages_cover_everything_once(person: Citizen) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        body = person.catalog.get("/v1/me/records", params=params).json()
        seen += [r["record_id"] for r in body["items"]]
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert seen == [r["record_id"] for r in person.records()]


def test_groups_summarise_by_institution_and_specialty(person: Citizen) -> None:
    groups = person.catalog.get("/v1/me/records", params={"limit": 1}).json()["groups"]
    assert groups == [
        {
            "institution": {"code": "52000002", "name": "한빛치과의원"},
            "specialty": "dental",
            "count": 2,
            "first_service": "2023-03-01",
            "last_service": "2025-11-30",
        },
        {
            "institution": {"code": "52000001", "name": "한빛내과의원"},
            "specialty": "medical",
            "count": 3,
            "first_service": "2020-01-05",
            "last_service": "2025-02-03",
        },
    ]


def test_the_summary_is_everything_held_and_no_access_of_its_own(person: Citizen) -> None:
    """The institutions a page offers (its filter, the request form) without listing a record:
    nothing is added to the access history."""
    settled = person.mark_access_log()  # every earlier test's listing is in by now
    summary = person.catalog.get("/v1/me/records/summary")
    assert summary.status_code == 200
    everything = person.catalog.get("/v1/me/records", params={"limit": 1}).json()["groups"]
    assert summary.json() == {"groups": everything}
    between = person.access_between(settled, person.mark_access_log())
    assert [e["resource_id"] for e in between] == ["1 records"]  # the listing, only


def test_listing_is_recorded_in_the_persons_access_log(person: Citizen) -> None:
    person.records()

    def listed() -> list[dict[str, Any]]:
        items = person.catalog.get("/v1/me/access-log").json()["items"]
        return [e for e in items if e["action"] == "list"]

    entries = eventually(listed, what="the listing in the access log")
    assert entries[0]["actor_type"] == "citizen"
    assert entries[0]["actor_id"] == person.person_id
    assert entries[0]["acting_for"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "diary"},
        {"specialty": "veterinary"},
        {"institution": "12"},
        {"cursor": "x.y"},
        {"limit": 0},
        {"from": "2025-13-01"},
        {"to": "yesterday"},
        {"from": "2025-02-30"},
        {"from": "2025-03-01", "to": "2025-02-01"},
    ],
)
def test_bad_filters_are_problems(person: Citizen, params: dict[str, str]) -> None:
    response = person.catalog.get("/v1/me/records", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] in params, response.json()


def test_without_a_citizen_token(cluster: Cluster) -> None:
    catalog = httpx.Client(base_url=cluster.url("catalog"))
    assert catalog.get("/v1/me/records").status_code == 401
    assert catalog.get("/v1/me/records/summary").status_code == 401
    assert catalog.get("/v1/me/records", headers=bearer("not.a.jwt")).status_code == 401
    client_id, secret = Operator(cluster).register_client(["52000003"])
    vendor = Institution(cluster, client_id, secret)
    response = catalog.get("/v1/me/records", headers=bearer(vendor.token))
    assert response.status_code == 403
