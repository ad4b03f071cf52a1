"""The OAuth 2.0 token endpoint, against an identity process with low token limits and a
movable clock: errors are RFC 6749 §5.2 bodies, no answer may be cached, requests are limited per
client address and failed ones per (client id, client address), so that guessing a secret stays
bounded while a stranger who knows a client id cannot lock its owner out; the address is the one
the trusted proxy (and only it) forwards. The lab trusts 127.0.0.2 as its proxy; tests connect
from 127.0.0.2 ("through the ingress") or from 127.0.0.3 (a caller that talks to the pod directly
and forges the header)."""

import base64
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from tests.support.identity_lab import Lab, identity_lab, new_address

FAILURES, PER_ADDRESS = 3, 5
PROXY, STRANGER = "127.0.0.2", "127.0.0.3"


@pytest.fixture(scope="module")
def lab(cluster: Cluster) -> Iterator[Lab]:
    env = {
        "MEDREC_IDENTITY_TOKEN_FAILURES_PER_CLIENT_ADDRESS": str(FAILURES),
        "MEDREC_IDENTITY_TOKEN_LIMIT_PER_IP": str(PER_ADDRESS),
        "MEDREC_IDENTITY_FORWARDED_ALLOW_IPS": PROXY,
    }
    with identity_lab(cluster, "tokens", env) as running:
        yield running


_STRETCHES = itertools.count(1)


@pytest.fixture
def base(lab: Lab) -> datetime:
    """Each test on its own hour of the lab's clock, outside the others' windows."""
    instant = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2, hours=next(_STRETCHES))
    lab.set_clock(instant)
    return instant


@pytest.fixture(scope="module")
def client(cluster: Cluster) -> tuple[str, str]:
    return cluster.provision_service_client("test-service", ["catalog:read", "metadata:read"])


def via(lab: Lab, peer: str, forwarded_for: str | None = None) -> httpx.Client:
    """A client connecting from `peer` (a loopback address), sending X-Forwarded-For."""
    headers = {"X-Forwarded-For": forwarded_for or new_address()}
    transport = httpx.HTTPTransport(local_address=peer)
    return httpx.Client(base_url=lab.url(), headers=headers, transport=transport, timeout=30)


def ask(
    http: httpx.Client,
    auth: tuple[str, str] | None,
    form: dict[str, str] | None = None,
    **kwargs: object,
) -> httpx.Response:
    data = {"grant_type": "client_credentials"} if form is None else form
    return http.post("/oauth/token", data=data, auth=auth, **kwargs)  # type: ignore[arg-type]


def oauth_error(response: httpx.Response, status: int, error: str) -> None:
    """An RFC 6749 §5.2 error: `error` and `error_description`, nothing cached."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error"] == error, body
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


def test_a_token_is_never_cached(lab: Lab, base: datetime, client: tuple[str, str]) -> None:
    answer = ask(via(lab, PROXY), client)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["pragma"] == "no-cache"
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["scope"] == "catalog:read metadata:read"


def test_errors_are_oauth_errors(lab: Lab, base: datetime, client: tuple[str, str]) -> None:
    client_id, secret = client
    cases: list[tuple[httpx.Response, int, str]] = [
        (ask(via(lab, PROXY), client, {"grant_type": "password"}), 400, "unsupported_grant_type"),
        (ask(via(lab, PROXY), client, {"scope": "catalog:read"}), 400, "invalid_request"),
        (ask(via(lab, PROXY), client, {"grant_type": ""}), 400, "invalid_request"),
        (
            via(lab, PROXY).post(
                "/oauth/token",
                content=b"grant_type=client_credentials&grant_type=client_credentials",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                auth=client,
            ),
            400,
            "invalid_request",
        ),
        (
            via(lab, PROXY).post(
                "/oauth/token", json={"grant_type": "client_credentials"}, auth=client
            ),
            400,
            "invalid_request",
        ),
        (
            ask(via(lab, PROXY), client, {"grant_type": "client_credentials", "scope": "admin"}),
            400,
            "invalid_scope",
        ),
        (ask(via(lab, PROXY), (client_id, secret + "x")), 401, "invalid_client"),
        (ask(via(lab, PROXY), ("c_doesnotexist", secret)), 401, "invalid_client"),
        (ask(via(lab, PROXY), None), 401, "invalid_client"),
        (
            ask(via(lab, PROXY), None, headers={"Authorization": "Basic not-base64!"}),
            401,
            "invalid_client",
        ),
    ]
    for response, status, error in cases:
        oauth_error(response, status, error)
        if status == 401:
            assert response.headers["www-authenticate"] == 'Basic realm="medrec"'
    assert secret not in str([r.text for r, _, _ in cases])


def test_basic_credentials_are_form_urlencoded_first(
    lab: Lab, base: datetime, client: tuple[str, str]
) -> None:
    """RFC 6749 §2.3.1: client id and secret are form-urlencoded inside the Basic header."""
    client_id, secret = client
    encoded = base64.b64encode(f"{client_id}:{secret}".replace("_", "%5F").encode()).decode()
    answer = ask(via(lab, PROXY), None, headers={"Authorization": f"Basic {encoded}"})
    assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module")
def operator(cluster: Cluster) -> tuple[str, str]:
    """The operator client: its id is public (`operator`), its secret is not."""
    return cluster.secrets.admin_client_id, cluster.secrets.admin_client_secret


def test_a_stranger_guessing_the_operators_secret_cannot_lock_the_operator_out(
    lab: Lab, base: datetime, operator: tuple[str, str]
) -> None:
    operator_id = operator[0]
    attacker = new_address()
    for n in range(FAILURES):
        guess = ask(via(lab, PROXY, attacker), (operator_id, f"a-wrong-guess-{n}"))
        oauth_error(guess, 401, "invalid_client")
    # The attacker's address is throttled, even with the right secret: guessing stops there.
    for auth in ((operator_id, "one-more-guess"), operator):
        refused = ask(via(lab, PROXY, attacker), auth)
        oauth_error(refused, 429, "slow_down")
        assert refused.headers["retry-after"] == "60"
    # The operator, from its own address, is not: an id anyone may know locks no one out.
    for _ in range(FAILURES + 1):
        answer = ask(via(lab, PROXY, new_address()), operator)
        assert answer.status_code == 200, answer.text
    mine = new_address()
    for _ in range(PER_ADDRESS):
        answer = ask(via(lab, PROXY, mine), operator)
        assert answer.status_code == 200, answer.text
    # Once the window has passed the attacker's address has its tries back.
    lab.set_clock(base + timedelta(seconds=61))
    assert ask(via(lab, PROXY, attacker), operator).status_code == 200


def test_failures_are_counted_per_client_at_one_address(
    lab: Lab, base: datetime, client: tuple[str, str], operator: tuple[str, str]
) -> None:
    """Another client from the attacker's address is not refused for the attacker's guesses
    (only the address's own budget of requests bounds it), and a right secret counts no
    failure."""
    client_id = client[0]
    address = new_address()
    for n in range(FAILURES - 1):
        oauth_error(ask(via(lab, PROXY, address), (client_id, f"guess-{n}")), 401, "invalid_client")
    assert ask(via(lab, PROXY, address), client).status_code == 200
    oauth_error(ask(via(lab, PROXY, address), (client_id, "guess-last")), 401, "invalid_client")
    oauth_error(ask(via(lab, PROXY, address), client), 429, "slow_down")
    assert ask(via(lab, PROXY, address), operator).status_code == 200


def test_token_requests_are_limited_per_forwarded_address(
    lab: Lab, base: datetime, client: tuple[str, str]
) -> None:
    """Through the trusted proxy, each citizen's address has its own budget."""
    address = new_address()
    for n in range(PER_ADDRESS):
        response = ask(via(lab, PROXY, address), (f"c_unknown{n}", "guess"))
        oauth_error(response, 401, "invalid_client")
    oauth_error(ask(via(lab, PROXY, address), client), 429, "slow_down")
    # Another address behind the same proxy is not affected.
    assert ask(via(lab, PROXY, new_address()), client).status_code == 200


def test_an_untrusted_peer_cannot_choose_its_address(
    lab: Lab, base: datetime, client: tuple[str, str]
) -> None:
    """A caller that is not the proxy is counted at its own address, whatever it forwards."""
    for n in range(PER_ADDRESS):
        response = ask(via(lab, STRANGER, new_address()), (f"c_forger{n}", "guess"))
        oauth_error(response, 401, "invalid_client")
    oauth_error(ask(via(lab, STRANGER, new_address()), client), 429, "slow_down")
    assert ask(via(lab, PROXY), client).status_code == 200
