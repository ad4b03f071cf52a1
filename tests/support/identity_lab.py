"""Extra identity api processes (see tests/lab.py) and synthetic people (random RRNs, phones and
client addresses) so tests never collide."""

import random
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import httpx
import jwt

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.crypto import blind_index
from tests.support.lab import Lab, new_address, service_lab

__all__ = ["Lab", "identity_lab", "new_address"]


@contextmanager
def identity_lab(
    cluster: Cluster, name: str, extra_env: dict[str, str] | None = None, *, replicas: int = 1
) -> Iterator[Lab]:
    with service_lab(cluster, "identity", name, extra_env, replicas=replicas) as lab:
        yield lab


# -- synthetic people ---------------------------------------------------------------------------

_HANGUL_NAMES = ["민준", "서연", "도윤", "하은", "시우", "지유", "주원", "서아", "하준", "윤서"]
_FAMILY_NAMES = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임"]


def new_rrn(born: date, sex: str = "male") -> str:
    """A valid-looking RRN for `born` (century digit from the year) that belongs to no one."""
    century = {1800: 9, 1900: 1, 2000: 3}[born.year // 100 * 100]
    digit = century + (1 if sex == "female" else 0)
    digit = 0 if digit == 10 else digit
    return f"{born:%y%m%d}-{digit}{random.randrange(10**6):06d}"


def new_name() -> str:
    return random.choice(_FAMILY_NAMES) + random.choice(_HANGUL_NAMES) + secrets.choice("가나다라")


def new_phone() -> str:
    return f"010-{random.randrange(2000, 9999)}-{random.randrange(10**4):04d}"


def person_key(cluster: Cluster, rrn: str) -> str:
    return blind_index(cluster.secrets.person_index_key.encode(), rrn)


@dataclass
class Verified:
    token: str
    person_id: str
    name: str
    rrn: str
    phone: str


def verify(
    http: httpx.Client, name: str, rrn: str, phone: str | None = None
) -> tuple[Verified, list[httpx.Response]]:
    """Verify through the sandbox provider; also returns the responses, for checks on them."""
    phone = phone or new_phone()
    started = http.post(
        "/v1/verifications", json={"method": "mobile", "name": name, "rrn": rrn, "phone": phone}
    )
    assert started.status_code == 201, started.text
    body = started.json()
    confirmed = http.post(
        f"/v1/verifications/{body['verification_id']}/confirm",
        json={"code": body["sandbox_code"]},
    )
    assert confirmed.status_code == 200, confirmed.text
    answer = confirmed.json()
    return Verified(answer["access_token"], answer["person_id"], name, rrn, phone), [
        started,
        confirmed,
    ]


@dataclass(frozen=True)
class ChildLink:
    """A child as seeded into the sandbox family registry (the fields are the request's)."""

    child_rrn: str
    child_name: str
    child_birth_date: str
    relation: str = "parent"
    parental_authority: bool = True


def seed_link(http: httpx.Client, parent_rrn: str, child: ChildLink) -> None:
    response = http.post(
        "/v1/sandbox/family-links", json={"parent_rrn": parent_rrn, **asdict(child)}
    )
    assert response.status_code == 201, response.text


def token_claims(identity_url: str, token: str) -> dict[str, Any]:
    """The claims of a token identity signed, checked against its JWKS."""
    jwks = httpx.get(f"{identity_url}/.well-known/jwks.json").json()
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(jwt.PyJWK.from_dict(k).key for k in jwks["keys"] if k["kid"] == kid)
    decoded: dict[str, Any] = jwt.decode(
        token, key, algorithms=["ES256"], audience="medrec", issuer="medrec-identity"
    )
    return decoded


def problem(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    """Asserts an RFC 9457 problem of this status and type; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"] == f"https://medrec.example/problems/{kind}", body
    return body


def contact_reader(cluster: Cluster, scopes: list[str]) -> httpx.Client:
    """A client of identity with a token of a service client provisioned with `scopes` (as
    deployment provisions catalog's), for identity's internal routes."""
    client_id, secret = cluster.provision_service_client("test-contact-reader", scopes)
    token = cluster.client_token(client_id, secret)
    return httpx.Client(
        base_url=cluster.url("identity"), timeout=30, headers={"Authorization": f"Bearer {token}"}
    )


def contact_of(reader: httpx.Client, person_key: str) -> httpx.Response:
    return reader.get(f"/internal/v1/persons/{person_key}/contact")
