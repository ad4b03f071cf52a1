"""A request that needs another medrec service while that service is down is answered 503 with
`Retry-After` (an RFC 9457 problem naming no person), changes nothing, and succeeds when sent
again once the service is back: a citizen asking for a copy while catalog's API is away."""

from typing import Any

import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Depositor, Operator, eventually
from tests.support.builders import inline, new_code, record_body

RRN, NAME, BIRTH, PHONE = "810203-1456789", "문단절", "1981-02-03", "010-2626-0011"
pytestmark = pytest.mark.e2e


def test_a_copy_asked_for_while_catalog_is_down_is_refused_503_and_changes_nothing(
    cluster: Cluster,
) -> None:
    code = new_code()
    vendor = Depositor(cluster, *Operator(cluster).register_client([code]))
    transfer = vendor.open_transfer(code, "단절의원")
    stored = vendor.put_record(
        transfer, "outage-1", record_body(RRN, NAME, BIRTH, inline(b"note", "text/plain"))
    )
    assert stored.status_code == 201, stored.text
    citizen = Citizen(cluster, NAME, RRN, phone=PHONE)
    eventually(citizen.records, what="the record in catalog")
    record_id = stored.json()["record_id"]

    def copies() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = citizen.issuance.get("/v1/issuances").json()["items"]
        return items

    before = copies()
    cluster.stop_process("catalog", "api")
    try:
        refused = citizen.issuance.post("/v1/issuances", json={"record_ids": [record_id]})
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.headers["retry-after"] == "5"
        problem = refused.json()
        assert problem["type"].endswith("/upstream-unavailable"), problem
        assert NAME not in refused.text and RRN not in refused.text
        assert copies() == before  # nothing was started
    finally:
        cluster.start_process("catalog", "api")
        cluster.wait_ready("catalog")

    again = citizen.request_copy([record_id])
    assert citizen.wait_ready(again["issuance_id"])["status"] == "ready"
    assert len(copies()) == len(before) + 1
