"""A notice leaves medrec as a text to the citizen's phone, through the whole stack: the citizen
signs in (identity keeps the phone the verification proved, sealed), a copy is made, issuance asks
for copy_ready, and catalog's worker, configured for the HTTP provider
(`MEDREC_CATALOG_NOTICE_SENDER=http`), reads the phone from identity with its own client
(`contact:read`) and posts `{to, text, reference}` to the provider with the provider's key. The
provider is the only stand-in (an outside party: a tiny HTTP server here). The phone is in no
log of the stack.

The cluster's catalog worker is restarted with the HTTP sender for this module and restarted as
it was afterwards."""

import uuid
from collections.abc import Iterator

import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Depositor, Operator, eventually
from tests.support.builders import inline, new_code, record_body
from tests.support.fakes import FakeServer, Reply, Seen, fake_server
from tests.support.stack import sql

pytestmark = pytest.mark.e2e
RRN, NAME, BIRTH, PHONE = "820303-1454545", "문자받음", "1982-03-03", "010-3131-4646"
PROVIDER_KEY = "sms-provider-key-for-tests"


def accepted(_: Seen) -> Reply:
    return Reply(200, {"result": "accepted"})


@pytest.fixture(scope="module")
def provider(cluster: Cluster) -> Iterator[FakeServer]:
    """The SMS/알림톡 provider, and catalog's worker sending through it."""
    with fake_server({("POST", "/v1/messages"): accepted}) as server:
        cluster.stop_process("catalog", "worker")
        env = {
            "MEDREC_CATALOG_NOTICE_SENDER": "http",
            "MEDREC_CATALOG_NOTICE_SENDER_URL": f"{server.url}/v1/messages",
            "MEDREC_CATALOG_NOTICE_SENDER_KEY": PROVIDER_KEY,
        }
        try:
            cluster.start_process("catalog", "worker", env)
            yield server
        finally:
            cluster.stop_process("catalog", "worker")
            cluster.start_process("catalog", "worker")


def test_a_copy_made_is_texted_to_the_phone_the_citizen_verified(
    cluster: Cluster, provider: FakeServer
) -> None:
    code = new_code()
    client_id, secret = Operator(cluster).register_client([code])
    clinic = Depositor(cluster, client_id, secret)
    transfer = clinic.open_transfer(code, "문자내과의원")
    body = record_body(RRN, NAME, BIRTH, inline(b"texted", "text/plain"))
    assert clinic.put_record(transfer, "texted-1", body).status_code == 201
    citizen = Citizen(cluster, NAME, RRN, phone=PHONE)
    record = eventually(lambda: citizen.records() or None, what="the record in catalog")[0]

    asked = citizen.request_copy([record["record_id"]])
    ready = citizen.wait_ready(asked["issuance_id"])
    notice = eventually(
        lambda: next(
            (
                n
                for n in citizen.catalog.get("/v1/me/notices").json()["items"]
                if n["kind"] == "copy_ready"
            ),
            None,
        ),
        what="the copy_ready notice in the 알림함",
    )
    texts = eventually(
        lambda: (
            [seen for seen in provider.seen if seen.json()["reference"] == notice["notice_id"]]
            or None
        ),
        what="the notice's text at the provider",
    )
    assert len(texts) == 1
    sent = texts[0]
    assert sent.headers["authorization"] == f"Bearer {PROVIDER_KEY}"
    assert sent.json() == {
        "to": PHONE.replace("-", ""),
        "text": notice["text"],
        "reference": notice["notice_id"],
    }
    assert ready["issuance_number"] in sent.json()["text"]
    delivered = eventually(
        lambda: (
            [
                (r["status"], r["sender"])
                for r in sql(
                    cluster,
                    "catalog",
                    "select status, sender from notice_deliveries where notice_id = $1",
                    uuid.UUID(notice["notice_id"]),
                )
                if r["status"] != "pending"
            ]
            or None
        ),
        what="the delivery recorded",
    )
    assert [(str(s), n) for s, n in delivered] == [("sent", "http")]
    for path in cluster.logs.glob("*.log"):
        log = path.read_text(errors="replace")
        for secret in (PHONE, PHONE.replace("-", ""), NAME, RRN, notice["text"]):
            assert secret not in log, (path.name, "personal data or a notice's text")
