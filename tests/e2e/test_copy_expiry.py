"""Whether a copy has expired is issuance's rule alone (a copy expires AT its `expires_at`
instant): the API answers `expired` from that instant on, and the citizens' portal shows what the
API answers, with no comparison of its own. So at the exact instant (the stack's clock moved
there) both say `expired`, and a moment before both said `ready`."""

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_issuance.settings import IssuanceSettings
from tests.support.actors import Citizen, Depositor, Operator, eventually
from tests.support.builders import inline, new_code, record_body
from tests.support.clock import clock_at

RRN, NAME, BIRTH, PHONE = "790514-2245632", "기한솔", "1979-05-14", "010-2626-0007"
VALID = timedelta(days=IssuanceSettings.model_fields["copy_valid_days"].default)
pytestmark = pytest.mark.e2e
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def portal_session(cluster: Cluster) -> httpx.Client:
    """The citizen signed in to the portal (본인인증 in the sandbox), as a browser would be."""
    portal = httpx.Client(base_url=cluster.url("portal"), timeout=60, follow_redirects=True)
    page = portal.get("/signin")
    found = CSRF.search(page.text)
    assert found, page.text
    form = {"name": NAME, "rrn": RRN, "phone": PHONE, "next": "/records"}
    coded = portal.post("/signin", data=form | {"csrf_token": found.group(1)})
    code = re.search(r'id="sandbox-code">(\d{6})<', coded.text)
    token = CSRF.search(coded.text)
    assert code and token, coded.text
    signed_in = portal.post("/signin/code", data={"code": code.group(1), "csrf_token": token[1]})
    assert signed_in.url.path == "/records", signed_in.url
    return portal


def test_at_a_copys_expiry_instant_the_api_and_the_portal_say_the_same(cluster: Cluster) -> None:
    code = new_code()
    vendor = Depositor(cluster, *Operator(cluster).register_client([code]))
    transfer = vendor.open_transfer(code, "기한의원")
    body = record_body(RRN, NAME, BIRTH, inline("진료 기록".encode(), "text/plain"))
    stored = vendor.put_record(transfer, "expiry-1", body)
    assert stored.status_code == 201, stored.text
    api = Citizen(cluster, NAME, RRN, phone=PHONE)
    eventually(api.records, what="the record in catalog")

    # Issued one validity ago (the clock standing there), so that it expires about now: the
    # portal's session, made at the instant, is live then.
    issued_at = datetime.now(UTC).replace(microsecond=0) - VALID
    with clock_at(cluster, issued_at) as move:
        issuance_id = api.request_copy([stored.json()["record_id"]])["issuance_id"]
        expires = datetime.fromisoformat(api.wait_ready(issuance_id)["expires_at"])
        assert expires == issued_at + VALID

        move(expires - timedelta(microseconds=1))
        portal = portal_session(cluster)

        def both() -> tuple[str, str]:
            answered = api.issuance.get(f"/v1/issuances/{issuance_id}").json()["status"]
            shown = portal.get(f"/copies/{issuance_id}/status").json()["status"]
            return answered, shown

        assert both() == ("ready", "ready")
        move(expires)
        assert both() == ("expired", "expired")
        page = portal.get(f"/copies/{issuance_id}")
        assert "열람 기간 만료" in page.text
        listed = portal.get("/copies")
        assert "열람 기간 만료" in listed.text
        assert api.issuance.get(f"/v1/issuances/{issuance_id}/document").status_code == 410
