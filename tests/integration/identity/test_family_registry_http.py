"""The HTTP family registry connector against a small server that speaks the contract of
docs/family-registry.md: what it sends, what it accepts, how it fails; then acting for a child
through an identity process configured to use it."""

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_identity.family.http import HttpFamilyRegistry
from medrec_identity.family.port import FamilyEntry, FamilyRegistryUnavailable, RegistryQuery
from medrec_shared.rules.guardianship import SEOUL
from tests.support.actors import bearer
from tests.support.fakes import FakeServer, Reply, Seen, fake_server
from tests.support.identity_lab import (
    Lab,
    identity_lab,
    new_name,
    new_rrn,
    problem,
    verify,
)

TOKEN = "registry-token-for-tests-0123456789"
PATH = "/registry/v1/children"
PARENT = RegistryQuery(person_key="k" * 64, rrn="800815-1234567")
AS_OF = date(2026, 3, 1)


def children(*entries: dict[str, Any]) -> Reply:
    return Reply(body={"children": list(entries)})


def entry(rrn: str, name: str, born: str, relation: str = "parent", authority: bool = True) -> dict:
    return {
        "rrn": rrn,
        "name": name,
        "birth_date": born,
        "relation": relation,
        "parental_authority": authority,
    }


@pytest.fixture
async def registry() -> AsyncIterator[tuple[FakeServer, HttpFamilyRegistry]]:
    with fake_server({}) as server:
        http = httpx.AsyncClient(timeout=2.0)
        yield server, HttpFamilyRegistry(server.url + PATH, TOKEN, http)
        await http.aclose()


def answer(server: FakeServer, reply: Reply) -> None:
    server.routes[("POST", PATH)] = lambda _: reply


async def test_the_request_follows_the_contract(
    registry: tuple[FakeServer, HttpFamilyRegistry],
) -> None:
    server, connector = registry
    answer(server, children())
    assert await connector.children_of(PARENT, AS_OF) == []
    [seen] = server.seen
    assert (seen.method, seen.path) == ("POST", PATH)
    assert seen.query == {}  # nothing personal in the URL
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["accept"] == "application/json"
    assert seen.headers["x-correlation-id"]
    assert seen.json() == {"parent_rrn": "800815-1234567", "as_of": "2026-03-01"}


async def test_the_answer_becomes_family_entries(
    registry: tuple[FakeServer, HttpFamilyRegistry],
) -> None:
    server, connector = registry
    answer(
        server,
        children(
            entry("1505053123456", "김하나", "2015-05-05"),
            entry("160606-4123456", "김두리", "2016-06-06", "guardian", False),
            entry("170707-3123456", "김세찌", "2017-07-07", "grandparent"),
            entry("171332-3123456", "잘못된", "2017-07-07"),  # not a real date: left out
            entry("170707-3123456", " ", "2017-07-07"),  # no name: left out
            {"rrn": "170707-3123456", "name": "날짜없음", "relation": "parent"},  # left out
        ),
    )
    assert await connector.children_of(PARENT, AS_OF) == [
        FamilyEntry("150505-3123456", "김하나", date(2015, 5, 5), "parent", True),
        FamilyEntry("160606-4123456", "김두리", date(2016, 6, 6), "guardian", False),
        FamilyEntry("170707-3123456", "김세찌", date(2017, 7, 7), None, True),
    ]


async def test_an_unknown_person_has_no_children(
    registry: tuple[FakeServer, HttpFamilyRegistry],
) -> None:
    server, connector = registry
    answer(server, Reply(404, {"error": "unknown person"}))
    assert await connector.children_of(PARENT, AS_OF) == []


@pytest.mark.parametrize(
    "reply",
    [
        Reply(500, {"error": "boom"}),
        Reply(401, {"error": "bad token"}),
        Reply(200, b"<html>not json</html>"),
        Reply(200, {"kids": []}),
        Reply(200, {"children": "none"}),
    ],
)
async def test_a_failing_registry_is_unavailable(
    registry: tuple[FakeServer, HttpFamilyRegistry], reply: Reply
) -> None:
    server, connector = registry
    answer(server, reply)
    with pytest.raises(FamilyRegistryUnavailable):
        await connector.children_of(PARENT, AS_OF)


async def test_an_unreachable_registry_is_unavailable() -> None:
    async with httpx.AsyncClient() as http:
        connector = HttpFamilyRegistry("http://127.0.0.1:9/children", TOKEN, http)
        with pytest.raises(FamilyRegistryUnavailable):
            await connector.children_of(PARENT, AS_OF)


# -- through identity ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def registry_lab(cluster: Cluster) -> Iterator[tuple[Lab, FakeServer]]:
    with fake_server({}) as server:
        env = {
            "MEDREC_IDENTITY_FAMILY_REGISTRY": "http",
            "MEDREC_IDENTITY_FAMILY_REGISTRY_URL": server.url + PATH,
            "MEDREC_IDENTITY_FAMILY_REGISTRY_TOKEN": TOKEN,
        }
        with identity_lab(cluster, "registry", env) as lab:
            yield lab, server


def test_identity_lists_and_acts_for_the_registrys_children(
    registry_lab: tuple[Lab, FakeServer],
) -> None:
    lab, server = registry_lab
    lab.set_clock(datetime.now(UTC) + timedelta(days=1))
    parent, _ = verify(lab.client(), new_name(), new_rrn(date(1978, 1, 1)))
    kid_rrn, kid_name = new_rrn(date(2012, 1, 1)), new_name()
    niece_rrn, niece_name = new_rrn(date(2013, 1, 1)), new_name()

    def reply(seen: Seen) -> Reply:
        if seen.json()["parent_rrn"] != parent.rrn:
            return Reply(404, {})
        return children(
            entry(kid_rrn, kid_name, "2012-01-01"),
            entry(niece_rrn, niece_name, "2013-01-01", "aunt"),
        )

    server.routes[("POST", PATH)] = reply
    lab.set_clock(datetime(2026, 3, 1, 9, 0, tzinfo=SEOUL))
    listed = lab.client().get("/v1/me/children", headers=bearer(parent.token))
    assert listed.status_code == 200, listed.text
    by_name = {item["name"]: item for item in listed.json()["items"]}
    assert (by_name[kid_name]["age"], by_name[kid_name]["eligible"]) == (14, True)
    assert by_name[niece_name]["reason"] == "not_a_guardian"
    assert server.seen[-1].json() == {"parent_rrn": parent.rrn, "as_of": "2026-03-01"}
    assert server.seen[-1].headers["authorization"] == f"Bearer {TOKEN}"

    kid_id, niece_id = by_name[kid_name]["person_id"], by_name[niece_name]["person_id"]
    minted = lab.client().post(f"/v1/me/children/{kid_id}/token", headers=bearer(parent.token))
    assert minted.status_code == 200, minted.text
    refused = lab.client().post(f"/v1/me/children/{niece_id}/token", headers=bearer(parent.token))
    assert problem(refused, 403, "not-a-guardian")["reason"] == "not_a_guardian"

    server.routes[("POST", PATH)] = lambda _: Reply(500, {})
    down = lab.client().get("/v1/me/children", headers=bearer(parent.token))
    problem(down, 503, "family-registry-unavailable")
    problem(
        lab.client().post(f"/v1/me/children/{kid_id}/token", headers=bearer(parent.token)),
        503,
        "family-registry-unavailable",
    )
    for value in (parent.rrn, kid_rrn, niece_rrn, parent.name, kid_name, niece_name):
        assert value not in lab.log_text()
