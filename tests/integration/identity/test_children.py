"""Acting for a child: the children the (sandbox) family registry knows, the guardianship rule's
answer for each on the day in Seoul, and tokens to act for one, against an identity with a
movable clock."""

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_shared.rules.guardianship import SEOUL, guardian_token_usable
from tests.support.actors import ActingGuardian, Citizen, bearer, children_of, seed_family_link
from tests.support.identity_lab import (
    ChildLink,
    Lab,
    Verified,
    identity_lab,
    new_name,
    new_rrn,
    person_key,
    problem,
    seed_link,
    token_claims,
    verify,
)

EVE = datetime(2026, 2, 28, 12, 0, tzinfo=SEOUL)  # "under 14" still in force
DAY_ONE = datetime(2026, 3, 1, 0, 0, tzinfo=SEOUL)  # "under 19" from this midnight


@pytest.fixture(scope="module")
def lab(cluster: Cluster) -> Iterator[Lab]:
    with identity_lab(cluster, "children") as running:
        yield running


@pytest.fixture
def parent(lab: Lab) -> Verified:
    """A verified parent (on the real time: tokens carry wall-clock times)."""
    lab.set_clock(datetime.now(UTC) + timedelta(days=1))
    verified, _ = verify(lab.client(), new_name(), new_rrn(date(1980, 8, 15)))
    return verified


def child(born: date, *, relation: str = "parent", authority: bool = True) -> ChildLink:
    return ChildLink(
        child_rrn=new_rrn(born, "female"),
        child_name=new_name(),
        child_birth_date=born.isoformat(),
        relation=relation,
        parental_authority=authority,
    )


def listing(lab: Lab, who: Verified) -> list[dict[str, Any]]:
    response = lab.client().get("/v1/me/children", headers=bearer(who.token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    items: list[dict[str, Any]] = body["items"]
    return items


def mint(lab: Lab, who: Verified, person_id: str) -> httpx.Response:
    return lab.client().post(f"/v1/me/children/{person_id}/token", headers=bearer(who.token))


def test_children_are_listed_with_the_rules_answer_on_the_day(lab: Lab, parent: Verified) -> None:
    family = {
        "13": child(date(2012, 6, 1)),
        "14": child(date(2011, 6, 1)),
        "18": child(date(2007, 6, 1)),
        "19": child(date(2006, 6, 1)),
        "no authority": child(date(2016, 1, 1), authority=False),
        "court guardian": child(date(2015, 1, 1), relation="guardian", authority=False),
    }
    for link in family.values():
        seed_link(lab.client(), parent.rrn, link)

    expected_eve = {
        "13": (13, True, None),
        "14": (14, False, "age_limit"),
        "18": (18, False, "age_limit"),
        "19": (19, False, "age_limit"),
        "no authority": (10, False, "no_parental_authority"),
        "court guardian": (11, True, None),
    }
    expected_day_one = expected_eve | {"14": (14, True, None), "18": (18, True, None)}
    person_ids: dict[str, str] = {}
    for now, expected in ((EVE, expected_eve), (DAY_ONE, expected_day_one)):
        lab.set_clock(now)
        # By birth date, which differs for each of these children: two random names may not.
        items = {item["birth_date"]: item for item in listing(lab, parent)}
        assert len(items) == len(family)
        for label, link in family.items():
            item = items[link.child_birth_date]
            assert set(item) == {"person_id", "name", "birth_date", "age", "eligible", "reason"}
            assert item["name"] == link.child_name
            assert (item["age"], item["eligible"], item["reason"]) == expected[label], label
            # The child's Person exists from the first listing on, with a stable id.
            assert person_ids.setdefault(label, item["person_id"]) == item["person_id"]
            uuid.UUID(item["person_id"])


def test_a_token_to_act_for_a_child(lab: Lab, cluster: Cluster, parent: Verified) -> None:
    link = child(date(2010, 5, 5))
    seed_link(lab.client(), parent.rrn, link)
    lab.set_clock(datetime(2026, 11, 27, 15, 0, tzinfo=SEOUL))
    [kid] = listing(lab, parent)

    minted = mint(lab, parent, kid["person_id"])
    assert minted.status_code == 200, minted.text
    body = minted.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "person_id"}
    assert body["person_id"] == kid["person_id"]
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 600)
    assert body["scope"] == "records:read issuance:write"
    token = token_claims(lab.url(), body["access_token"])
    assert {k: v for k, v in token.items() if k not in ("iat", "exp", "jti")} == {
        "iss": "medrec-identity",
        "aud": "medrec",
        "sub": kid["person_id"],
        "person_key": person_key(cluster, link.child_rrn),
        "scope": "records:read issuance:write",
        "act": {"sub": parent.person_id, "person_key": person_key(cluster, parent.rrn)},
        "subject_birth_date": "2010-05-05",
        "guardian_relation": "parent",
        "guardian_parental_authority": True,
    }
    assert token["exp"] - token["iat"] == 600
    assert guardian_token_usable(token, datetime(2026, 11, 27, 15, 0, tzinfo=SEOUL))

    # The token's subject is the child.
    me = lab.client().get("/v1/me", headers=bearer(body["access_token"]))
    assert me.json() == {
        "person_id": kid["person_id"],
        "name": link.child_name,
        "birth_date": "2010-05-05",
        "sex": "female",
    }
    # A guardian token cannot list or mint further child tokens.
    as_child = bearer(body["access_token"])
    problem(lab.client().get("/v1/me/children", headers=as_child), 403, "acting-for-other")
    again = lab.client().post(f"/v1/me/children/{kid['person_id']}/token", headers=as_child)
    problem(again, 403, "acting-for-other")


def test_each_refusal_is_its_own_problem(lab: Lab, parent: Verified) -> None:
    links = {
        "guardian-age-limit": child(date(2006, 1, 1)),
        "no-parental-authority": child(date(2016, 1, 1), authority=False),
    }
    for link in links.values():
        seed_link(lab.client(), parent.rrn, link)
    lab.set_clock(DAY_ONE)
    by_name = {item["name"]: item for item in listing(lab, parent)}
    for kind, link in links.items():
        refused = problem(mint(lab, parent, by_name[link.child_name]["person_id"]), 403, kind)
        assert refused["reason"] == by_name[link.child_name]["reason"]
        assert link.child_name not in str(refused) and link.child_rrn not in str(refused)


def test_someone_elses_child_is_not_found(lab: Lab, parent: Verified) -> None:
    other, _ = verify(lab.client(), new_name(), new_rrn(date(1979, 1, 1)))
    seed_link(lab.client(), other.rrn, child(date(2015, 3, 3)))
    lab.set_clock(DAY_ONE)
    [theirs] = listing(lab, other)
    assert listing(lab, parent) == []
    problem(mint(lab, parent, theirs["person_id"]), 404, "not-found")
    problem(mint(lab, parent, str(uuid.uuid4())), 404, "not-found")
    problem(mint(lab, parent, parent.person_id), 404, "not-found")  # not one's own child
    problem(mint(lab, parent, "not-a-uuid"), 422, "validation")


def test_only_a_citizens_own_token_may_ask(lab: Lab, cluster: Cluster) -> None:
    http = lab.client()
    problem(http.get("/v1/me/children"), 401, "unauthorized")
    problem(http.post(f"/v1/me/children/{uuid.uuid4()}/token"), 401, "unauthorized")
    problem(http.get("/v1/me/children", headers=bearer("not.a.jwt")), 401, "unauthorized")
    operator = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(cluster.secrets.admin_client_id, cluster.secrets.admin_client_secret),
    ).json()["access_token"]
    problem(http.get("/v1/me/children", headers=bearer(operator)), 403, "forbidden")
    problem(http.get("/v1/me", headers=bearer(operator)), 403, "forbidden")


def test_a_token_minted_the_evening_before_the_birthday_stops_at_midnight(
    lab: Lab, parent: Verified
) -> None:
    link = child(date(2007, 12, 2))  # 19 on 2026-12-02
    seed_link(lab.client(), parent.rrn, link)
    evening = datetime(2026, 12, 1, 23, 59, 0, tzinfo=SEOUL)
    lab.set_clock(evening)
    [kid] = listing(lab, parent)
    assert (kid["age"], kid["eligible"]) == (18, True)
    minted = mint(lab, parent, kid["person_id"]).json()
    assert minted["expires_in"] == 60  # cut at midnight in Seoul
    token = minted["access_token"]

    lab.set_clock(evening + timedelta(seconds=59))
    assert lab.client().get("/v1/me", headers=bearer(token)).status_code == 200
    lab.set_clock(datetime(2026, 12, 2, 0, 0, tzinfo=SEOUL))
    refused = problem(lab.client().get("/v1/me", headers=bearer(token)), 403, "guardian-age-limit")
    assert refused["reason"] == "age_limit"
    assert not guardian_token_usable(
        token_claims(lab.url(), token), datetime(2026, 12, 2, tzinfo=SEOUL)
    )
    problem(mint(lab, parent, kid["person_id"]), 403, "guardian-age-limit")


def test_a_child_listed_twice_keeps_the_entry_that_allows(lab: Lab, parent: Verified) -> None:
    link = child(date(2014, 2, 2), authority=False)
    seed_link(lab.client(), parent.rrn, link)
    seed_link(lab.client(), parent.rrn, replace(link, parental_authority=True))
    seed_link(lab.client(), parent.rrn, link)
    lab.set_clock(DAY_ONE)
    [kid] = listing(lab, parent)
    assert (kid["eligible"], kid["reason"]) == (True, None)


def test_the_child_later_verifies_as_the_same_person(lab: Lab, parent: Verified) -> None:
    link = child(date(2008, 7, 7))
    seed_link(lab.client(), parent.rrn, link)
    lab.set_clock(DAY_ONE)
    [kid] = listing(lab, parent)
    lab.set_clock(datetime.now(UTC) + timedelta(days=1))
    grown, _ = verify(lab.client(), link.child_name, link.child_rrn)
    assert grown.person_id == kid["person_id"]


def test_the_actor_helpers_on_the_cluster(cluster: Cluster) -> None:
    """tests.support.actors as other suites use them, on the cluster's identity (the real clock)."""
    parent_rrn, name = new_rrn(date(1982, 2, 2)), new_name()
    today = datetime.now(SEOUL).date()
    young = today.replace(year=today.year - 10) - timedelta(days=1)
    seed_family_link(cluster, parent_rrn, new_rrn(young), new_name(), young.isoformat())
    guardian = Citizen(cluster, name, parent_rrn)
    [kid] = children_of(guardian)
    assert (kid["age"], kid["eligible"]) == (10, True)
    acting = ActingGuardian(guardian, kid["person_id"])
    token = token_claims(cluster.url("identity"), acting.token)
    assert token["sub"] == kid["person_id"]
    assert token["act"]["sub"] == guardian.person_id
