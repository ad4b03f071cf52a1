"""Sharing an issued copy (제출) through the whole stack: the requester makes, lists and revokes
shares of a ready copy; the recipient downloads it with the link's token and the six-digit access
code, and each download is in the subject's access history with the recipient's name; a wrong
code is refused and counted, too many refused even with the right code (429); a revoked or
expired share is gone (410, saying which); nobody else reaches another person's copy or shares."""

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_issuance.settings import IssuanceSettings
from tests.support.actors import Citizen, Depositor, Operator, eventually
from tests.support.builders import inline, new_code, record_body
from tests.support.clock import clock_at

pytestmark = pytest.mark.e2e

RRN, NAME, BIRTH, PHONE = "840611-2345676", "나누리", "1984-06-11", "010-2828-0001"
OTHER_RRN, OTHER_NAME, OTHER_PHONE = "840612-1345675", "남다른", "010-2828-0002"
INSURER = "한빛손해보험 장기보상팀"
WRONG_CODES = IssuanceSettings.model_fields["share_code_limit_per_share"].default


@dataclass(frozen=True)
class World:
    owner: Citizen
    other: Citizen
    issuance: dict[str, Any]
    public: httpx.Client  # the recipient: no token of ours
    portal: str
    made: list[dict[str, Any]] = field(default_factory=list)  # every share made, for the logs

    @property
    def shares_path(self) -> str:
        return f"/v1/issuances/{self.issuance['issuance_id']}/shares"

    def share(self, recipient: str = INSURER, days: int = 7) -> dict[str, Any]:
        made = self.owner.issuance.post(
            self.shares_path, json={"recipient": recipient, "expires_in_days": days}
        )
        assert made.status_code == 201, made.text
        body: dict[str, Any] = made.json()
        self.made.append(body)
        return body

    def listed(self) -> dict[str, dict[str, Any]]:
        found = self.owner.issuance.get(self.shares_path)
        assert found.status_code == 200, found.text
        return {s["share_id"]: s for s in found.json()["items"]}

    def open(self, share: dict[str, Any], code: str | None = None) -> httpx.Response:
        token = share["url"].rsplit("/", 1)[-1]
        body = {"access_code": share["access_code"] if code is None else code}
        return self.public.post(f"/v1/shares/{token}/document", json=body)


@pytest.fixture(scope="module")
def world(cluster: Cluster) -> World:
    code = new_code()
    vendor = Depositor(cluster, *Operator(cluster).register_client([code]))
    transfer = vendor.open_transfer(code, "나눔내과의원")
    body = record_body(RRN, NAME, BIRTH, inline("외래 진료 기록".encode(), "text/plain"))
    stored = vendor.put_record(transfer, "share-1", body)
    assert stored.status_code == 201, stored.text
    owner = Citizen(cluster, NAME, RRN, phone=PHONE)
    eventually(owner.records, what="the record in catalog")
    issuance = owner.wait_ready(owner.request_copy([stored.json()["record_id"]])["issuance_id"])
    other = Citizen(cluster, OTHER_NAME, OTHER_RRN, phone=OTHER_PHONE)
    public = httpx.Client(base_url=cluster.url("issuance"), timeout=60)
    return World(owner, other, issuance, public, cluster.url("portal"))


def test_the_requester_makes_a_share_with_a_link_and_a_code_shown_once(world: World) -> None:
    before = datetime.now(UTC)
    share = world.share(days=7)
    assert share["recipient"] == INSURER
    prefix = f"{world.portal}/share/"
    assert share["url"].startswith(prefix)
    token = share["url"].removeprefix(prefix)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", token), "at least 256 bits, URL-safe"
    assert re.fullmatch(r"\d{6}", share["access_code"])
    expires = datetime.fromisoformat(share["expires_at"])
    assert before + timedelta(days=7) - timedelta(minutes=5) < expires
    assert expires <= datetime.now(UTC) + timedelta(days=7)
    listed = world.listed()[share["share_id"]]
    assert listed["status"] == "active"
    assert listed["downloads"] == 0 and listed["last_opened_at"] is None
    assert listed["revoked_at"] is None
    # The link and the code are answered once: the list holds neither.
    shown = world.owner.issuance.get(world.shares_path).text
    assert token not in shown and share["access_code"] not in shown


@pytest.mark.parametrize(
    "body",
    [
        {"recipient": INSURER, "expires_in_days": 31},
        {"recipient": INSURER, "expires_in_days": 0},
        {"recipient": "  ", "expires_in_days": 7},
        {"recipient": "가" * 101, "expires_in_days": 7},
        {"expires_in_days": 7},
    ],
)
def test_a_share_outside_the_bounds_is_refused_and_nothing_is_made(
    world: World, body: dict[str, Any]
) -> None:
    before = world.listed()
    refused = world.owner.issuance.post(world.shares_path, json=body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert world.listed() == before


def test_nobody_else_reaches_the_copys_shares(world: World) -> None:
    share = world.share()
    other = world.other.issuance
    made = other.post(world.shares_path, json={"recipient": "x", "expires_in_days": 1})
    assert made.status_code == 404
    assert other.get(world.shares_path).status_code == 404
    assert other.delete(f"{world.shares_path}/{share['share_id']}").status_code == 404
    assert world.listed()[share["share_id"]]["status"] == "active"
    unknown = world.owner.issuance.delete(f"{world.shares_path}/{uuid.uuid4()}")
    assert unknown.status_code == 404


def test_the_recipient_downloads_with_the_right_code_and_the_subject_sees_it(
    world: World,
) -> None:
    share = world.share()
    wrong = f"{(int(share['access_code']) + 1) % 1_000_000:06d}"
    refused = world.open(share, wrong)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert world.listed()[share["share_id"]]["downloads"] == 0

    opened = world.open(share, f" {share['access_code'][:3]} {share['access_code'][3:]} ")
    assert opened.status_code == 200, opened.text
    assert opened.headers["content-type"] == "application/pdf"
    assert "attachment" in opened.headers["content-disposition"]
    assert opened.headers["cache-control"] == "no-store"
    assert opened.content.startswith(b"%PDF")
    assert hashlib.sha256(opened.content).hexdigest() == world.issuance["sha256"]
    listed = world.listed()[share["share_id"]]
    assert listed["downloads"] == 1 and listed["last_opened_at"] is not None
    assert world.open(share).status_code == 200
    assert world.listed()[share["share_id"]]["downloads"] == 2

    def recipient_downloads() -> list[dict[str, Any]] | None:
        items = world.owner.catalog.get("/v1/me/access-log", params={"limit": 500}).json()["items"]
        found = [
            e
            for e in items
            if e["actor_type"] == "recipient" and e["actor_id"] == share["share_id"]
        ]
        return found if len(found) == 2 else None

    for entry in eventually(recipient_downloads, what="the downloads in the access history"):
        assert entry["reason"] == INSURER
        assert entry["action"] == "download" and entry["decision"] == "allowed"
        assert entry["resource_id"] == world.issuance["issuance_id"]


def test_an_unknown_link_is_not_found(world: World) -> None:
    made = world.share()
    unknown = dict(made, url=made["url"][:-4] + "AAAA")
    assert world.open(unknown).status_code == 404


def test_too_many_wrong_codes_refuse_even_the_right_one(world: World) -> None:
    share = world.share()
    wrong = f"{(int(share['access_code']) + 7) % 1_000_000:06d}"
    for _ in range(WRONG_CODES):
        assert world.open(share, wrong).status_code == 403
    limited = world.open(share)
    assert limited.status_code == 429, limited.text
    assert int(limited.headers["retry-after"]) > 0
    assert world.listed()[share["share_id"]]["downloads"] == 0
    # Another share of the same copy is its own count.
    assert world.open(world.share()).status_code == 200


def test_a_revoked_share_is_gone(world: World) -> None:
    share = world.share()
    path = f"{world.shares_path}/{share['share_id']}"
    assert world.owner.issuance.delete(path).status_code == 204
    gone = world.open(share)
    assert gone.status_code == 410, gone.text
    assert gone.json()["reason"] == "revoked"
    listed = world.listed()[share["share_id"]]
    assert listed["status"] == "revoked" and listed["revoked_at"] is not None
    assert world.owner.issuance.delete(path).status_code == 204, "revoking twice is once"
    assert world.listed()[share["share_id"]]["revoked_at"] == listed["revoked_at"]


def test_a_share_expires_at_its_instant(cluster: Cluster, world: World) -> None:
    # Made a day ago (the stack's clock standing there, and a citizen token of that time), so
    # that it expires about now: the clock never runs ahead of real time.
    made_at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    path = f"/v1/issuances/{world.issuance['issuance_id']}/shares"
    with clock_at(cluster, made_at) as move:
        then = Citizen(cluster, NAME, RRN, phone=PHONE)
        made = then.issuance.post(path, json={"recipient": INSURER, "expires_in_days": 1})
        assert made.status_code == 201, made.text
        share = made.json()
        expires = datetime.fromisoformat(share["expires_at"])
        assert expires == made_at + timedelta(days=1)
        move(expires - timedelta(seconds=1))
        assert world.open(share).status_code == 200
        move(expires)
        gone = world.open(share)
        assert gone.status_code == 410, gone.text
        assert gone.json()["reason"] == "expired"
        now = Citizen(cluster, NAME, RRN, phone=PHONE)
        items = {s["share_id"]: s for s in now.issuance.get(path).json()["items"]}
        assert items[share["share_id"]]["status"] == "expired"


def test_no_log_line_names_the_recipient_or_holds_a_link_or_a_code(
    cluster: Cluster, world: World
) -> None:
    assert world.made
    secrets = [INSURER] + [s["url"].rsplit("/", 1)[-1] for s in world.made]
    for log in sorted(cluster.logs.glob("*.log")):
        text = log.read_text(errors="replace")
        for secret in secrets:
            assert secret not in text, f"{log.name} holds a recipient or a share's token"
        for share in world.made:
            assert f'"{share["access_code"]}"' not in text, log.name
