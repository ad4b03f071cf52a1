"""A parent acting for a child under the rule in force on the day (under 19 from 2026-03-01):
the child's records and a copy; refused for a child of 19; every act in the child's own log."""

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.clock import KST
from tests.support.actors import (
    ActingGuardian,
    Citizen,
    Institution,
    Operator,
    bearer,
    children_of,
    eventually,
    seed_family_link,
)
from tests.support.builders import inline, record_body
from tests.support.clock import clock_at

pytestmark = pytest.mark.e2e

PARENT_RRN, PARENT_NAME = "780101-2000303", "정미란"
TEEN_RRN, TEEN_NAME, TEEN_BIRTH = "090601-4000101", "정하윤", "2009-06-01"  # 17 in 2026
ADULT_RRN, ADULT_NAME, ADULT_BIRTH = "070501-3000202", "정도윤", "2007-05-01"  # 19 in 2026
SIBLING_RRN, SIBLING_NAME = "120301-3000404", "정시우"  # 14, not linked to this parent
TEXT = "text/plain"


@pytest.fixture(scope="module")
def family(cluster: Cluster) -> dict[str, Any]:
    client_id, secret = Operator(cluster).register_client(["91000001"])
    clinic = Institution(cluster, client_id, secret)
    transfer = clinic.open_transfer("91000001", "튼튼소아청소년과의원")
    recent = {"service_start": "2025-08-01", "service_end": "2025-08-02"}
    ids = {}
    for key, rrn, name, birth in [
        ("teen", TEEN_RRN, TEEN_NAME, TEEN_BIRTH),
        ("adult", ADULT_RRN, ADULT_NAME, ADULT_BIRTH),
        ("parent", PARENT_RRN, PARENT_NAME, "1978-01-01"),
        ("other", SIBLING_RRN, SIBLING_NAME, "2012-03-01"),
    ]:
        body = record_body(rrn, name, birth, inline(f"{key} 진료".encode(), TEXT), **recent)
        response = clinic.put_record(transfer, f"g-{key}", body)
        assert response.status_code == 201, response.text
        ids[key] = response.json()["record_id"]
    seed_family_link(cluster, PARENT_RRN, TEEN_RRN, TEEN_NAME, TEEN_BIRTH)
    seed_family_link(cluster, PARENT_RRN, ADULT_RRN, ADULT_NAME, ADULT_BIRTH)
    parent = Citizen(cluster, PARENT_NAME, PARENT_RRN, phone="010-7000-0001")
    eventually(lambda: len(parent.records()) == 1, what="the parent's own record")
    children = {c["name"]: c for c in children_of(parent)}
    return {"parent": parent, "children": children, "ids": ids}


def test_the_parent_sees_which_children_they_may_act_for(family: dict[str, Any]) -> None:
    children = family["children"]
    assert children[TEEN_NAME]["age"] == 17 and children[TEEN_NAME]["eligible"] is True
    assert children[ADULT_NAME]["age"] == 19 and children[ADULT_NAME]["eligible"] is False
    assert children[ADULT_NAME]["reason"] == "age_limit"


def test_a_parent_gets_a_17_year_olds_records_and_a_copy(family: dict[str, Any]) -> None:
    acting = ActingGuardian(family["parent"], family["children"][TEEN_NAME]["person_id"])
    records = eventually(acting.records, what="the child's record")
    assert [r["record_id"] for r in records] == [family["ids"]["teen"]]
    issuance = acting.request_copy([family["ids"]["teen"]])
    ready = acting.wait_ready(issuance["issuance_id"])
    document = acting.issuance.get(f"/v1/issuances/{issuance['issuance_id']}/document")
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    assert ready["record_count"] == 1
    family["copy"] = issuance["issuance_id"]


def test_a_parent_is_refused_for_a_19_year_old_with_the_age_reason(
    cluster: Cluster, family: dict[str, Any]
) -> None:
    child = family["children"][ADULT_NAME]
    response = httpx.post(
        f"{cluster.url('identity')}/v1/me/children/{child['person_id']}/token",
        headers=bearer(family["parent"].token),
    )
    assert response.status_code == 403
    assert response.json()["type"].endswith("guardian-age-limit")
    assert response.json()["reason"] == "age_limit"


def test_a_guardian_token_reaches_nothing_else_by_id(family: dict[str, Any]) -> None:
    acting = ActingGuardian(family["parent"], family["children"][TEEN_NAME]["person_id"])
    for other in ("parent", "other", "adult"):
        response = acting.issuance.post(
            "/v1/issuances", json={"record_ids": [family["ids"][other]]}
        )
        assert response.status_code == 404, other
    listed = {r["record_id"] for r in acting.records()}
    assert listed == {family["ids"]["teen"]}
    own = family["parent"].records()
    assert family["ids"]["teen"] not in {r["record_id"] for r in own}
    # The parent's own copies are not the child's, and the other way round.
    assert family["parent"].issuance.get(f"/v1/issuances/{family['copy']}").status_code == 404


def test_the_token_stops_at_midnight_in_seoul_on_the_19th_birthday(
    cluster: Cluster, family: dict[str, Any]
) -> None:
    acting = ActingGuardian(family["parent"], family["children"][TEEN_NAME]["person_id"])
    birthday = datetime(2028, 6, 1, tzinfo=KST)
    with clock_at(cluster, birthday - timedelta(seconds=1)) as move_clock:
        assert acting.catalog.get("/v1/me/records").status_code == 200
        move_clock(birthday)
        refused = acting.catalog.get("/v1/me/records")
        assert refused.status_code == 403
        assert refused.json()["type"].endswith("guardian-age-limit")
        assert acting.issuance.get("/v1/issuances").status_code == 403


def test_the_child_later_sees_the_parents_acts_in_their_own_access_log(
    cluster: Cluster, family: dict[str, Any]
) -> None:
    teen = Citizen(cluster, TEEN_NAME, TEEN_RRN, phone="010-7000-0002")
    assert teen.person_id == family["children"][TEEN_NAME]["person_id"]

    def parents_acts() -> dict[str, dict[str, Any]] | None:
        items = teen.catalog.get("/v1/me/access-log", params={"limit": 500}).json()["items"]
        acts = {e["action"]: e for e in items if e["actor_type"] == "guardian"}
        return acts if {"list", "issuance_request", "download"} <= set(acts) else None

    acts = eventually(parents_acts, what="the guardian's acts in the child's log")
    for entry in acts.values():
        assert entry["actor_id"] == family["parent"].person_id
        assert entry["acting_for"] == teen.person_id


def test_a_guardian_sees_only_their_own_acts_in_the_childs_access_log(
    cluster: Cluster, family: dict[str, Any]
) -> None:
    """The child, signed in on their own, lists and views their records; the parent acting for
    them reads the child's access log and finds their own acts there, but none of the child's."""
    teen = Citizen(cluster, TEEN_NAME, TEEN_RRN, phone="010-7000-0002")
    assert teen.records()  # the child's own act, logged as the citizen's

    def own_list_logged() -> bool:
        items = teen.catalog.get("/v1/me/access-log", params={"limit": 500}).json()["items"]
        return any(e["actor_type"] == "citizen" and e["action"] == "list" for e in items)

    eventually(own_list_logged, what="the child's own act in their log")
    acting = ActingGuardian(family["parent"], teen.person_id)
    response = acting.catalog.get("/v1/me/access-log", params={"limit": 500})
    assert response.status_code == 200, response.text
    seen = response.json()["items"]
    assert seen, "the guardian's own acts are shown"
    assert {e["actor_type"] for e in seen} == {"guardian"}
    assert {e["actor_id"] for e in seen} == {family["parent"].person_id}
    assert {"list", "issuance_request", "download"} <= {e["action"] for e in seen}
