"""A verified person's contact: the mobile number their newest successful verification proved,
kept sealed (never the digits in the database), one per person and replaced by the next
verification, and served to a client with scope contact:read only (catalog's, to send a notice),
404 when none is known. A refused verification stores nothing. The number is never logged."""

from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from tests.support.identity_lab import (
    contact_of,
    contact_reader,
    new_address,
    new_name,
    new_phone,
    new_rrn,
    person_key,
    problem,
    verify,
)
from tests.support.stack import sql


@pytest.fixture(scope="module")
def reader(cluster: Cluster) -> Iterator[httpx.Client]:
    with contact_reader(cluster, ["contact:read"]) as client:
        yield client


def identity(cluster: Cluster) -> httpx.Client:
    return httpx.Client(
        base_url=cluster.url("identity"), timeout=30, headers={"X-Forwarded-For": new_address()}
    )


def digits(phone: str) -> str:
    return phone.replace("-", "")


def test_a_verified_phone_is_kept_sealed_and_read_with_contact_read(
    cluster: Cluster, reader: httpx.Client
) -> None:
    name, rrn, phone = new_name(), new_rrn(date(1979, 5, 6)), new_phone()
    verify(identity(cluster), name, rrn, phone)
    key = person_key(cluster, rrn)
    read = contact_of(reader, key)
    assert read.status_code == 200, read.text
    assert read.json() == {"phone": digits(phone)}
    rows = sql(cluster, "identity", "select * from person_contacts where person_key = $1", key)
    assert len(rows) == 1 and rows[0]["provider"] == "sandbox"
    assert digits(phone).encode() not in rows[0]["phone_sealed"]  # sealed, not the digits
    log = (cluster.logs / "identity-api.log").read_text(errors="replace")
    assert digits(phone) not in log and phone not in log


def test_a_new_verification_replaces_the_phone(cluster: Cluster, reader: httpx.Client) -> None:
    name, rrn = new_name(), new_rrn(date(1981, 8, 9))
    old, new = new_phone(), new_phone()
    verify(identity(cluster), name, rrn, old)
    verify(identity(cluster), name, rrn, new)
    key = person_key(cluster, rrn)
    assert contact_of(reader, key).json() == {"phone": digits(new)}
    count = "select count(*) from person_contacts where person_key = $1"
    assert sql(cluster, "identity", count, key)[0][0] == 1


def test_a_refused_verification_stores_no_phone(cluster: Cluster, reader: httpx.Client) -> None:
    http = identity(cluster)
    rrn = new_rrn(date(1990, 1, 2))
    body = {"method": "mobile", "name": new_name(), "rrn": rrn, "phone": new_phone()}
    started = http.post("/v1/verifications", json=body).json()
    wrong = f"{(int(started['sandbox_code']) + 1) % 10**6:06d}"
    confirm = f"/v1/verifications/{started['verification_id']}/confirm"
    problem(http.post(confirm, json={"code": wrong}), 400, "wrong-code")
    problem(contact_of(reader, person_key(cluster, rrn)), 404, "not-found")


def test_no_phone_known_is_404(reader: httpx.Client) -> None:
    problem(contact_of(reader, "0" * 64), 404, "not-found")
    assert contact_of(reader, "not-a-key").status_code == 422


def test_only_contact_read_may_read_a_phone(cluster: Cluster) -> None:
    rrn = new_rrn(date(1975, 11, 12))
    verify(identity(cluster), new_name(), rrn, new_phone())
    path = f"/internal/v1/persons/{person_key(cluster, rrn)}/contact"
    with contact_reader(cluster, ["demographics:read"]) as other:
        refused = problem(other.get(path), 403, "forbidden")
        assert "phone" not in refused
    problem(httpx.get(f"{cluster.url('identity')}{path}", timeout=30), 401, "unauthorized")
    citizen, _ = verify(identity(cluster), new_name(), new_rrn(date(1970, 1, 1)))
    as_citizen = httpx.get(
        f"{cluster.url('identity')}{path}",
        headers={"Authorization": f"Bearer {citizen.token}"},
        timeout=30,
    )
    problem(as_citizen, 403, "forbidden")
