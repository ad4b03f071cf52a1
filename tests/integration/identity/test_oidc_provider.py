"""The OpenID Connect verification provider: how it is configured and chosen, what it sends, and
how it checks what comes back, against a local stand-in provider (tests/.../fake_oidc.py), then
the whole verification through an identity process configured for it. No real provider is
involved anywhere: this proves our side of the exchange, not any provider's."""

import json
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr, ValidationError

from medrec_devstack.cluster import Cluster
from medrec_identity.binding.http import HttpIdentityBinding
from medrec_identity.binding.port import BindingUnavailable
from medrec_identity.binding.sandbox import SandboxBinding, sandbox_ci
from medrec_identity.keys import IdentityKeys
from medrec_identity.settings import IdentitySettings
from medrec_identity.verification.matching import attributes_match
from medrec_identity.verification.oidc import (
    OidcConfig,
    OidcProvider,
    attributes_from,
    basic_authorization,
    pkce_challenge,
)
from medrec_identity.verification.port import (
    ClaimedIdentity,
    Outcome,
    Proof,
    ProviderError,
    ProviderUnavailable,
    VerifiedAttributes,
)
from medrec_identity.verification.sandbox import SandboxProvider
from medrec_identity.verification.select import build_provider
from tests.support.actors import bearer
from tests.support.fake_oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    FakeProvider,
    fake_provider,
)
from tests.support.fakes import Reply, fake_server
from tests.support.identity_lab import (
    Lab,
    contact_of,
    contact_reader,
    identity_lab,
    new_name,
    new_phone,
    new_rrn,
    person_key,
    problem,
    token_claims,
)
from tests.support.stack import sql

STRONG = "s3cret-" + "x" * 24
BASE: dict[str, Any] = {
    "database_url": "postgresql+asyncpg://u:p@127.0.0.1:1/db",
    "kafka_bootstrap_servers": "127.0.0.1:9092",
    "person_index_key": STRONG,
    "field_keys": "kek-1:" + "A" * 43 + "=",
    "field_key_active": "kek-1",
}
OIDC: dict[str, Any] = {
    "verification_provider": "oidc",
    "oidc_issuer": "https://id.example.kr",
    "oidc_client_id": "medrec",
    "oidc_client_secret": STRONG,
    "oidc_redirect_uri": "https://portal.medrec.example/verify/callback",
}
PRODUCTION: dict[str, Any] = (
    BASE
    | OIDC
    | {
        "admin_client_secret": STRONG,
        "admin_client_id": "medrec-admin",
        "family_registry": "http",
        "family_registry_url": "https://registry.example.kr/v1/children",
        "family_registry_token": STRONG,
        "binding_service": "http",
        "binding_url": "https://ci.example.kr/v1/confirm",
        "binding_token": STRONG,
        "public_url": "https://id.medrec.example",
        "jwt_issuer": "https://id.medrec.example",
    }
)


def settings(**values: Any) -> IdentitySettings:
    return IdentitySettings(**values)


# -- configuration and selection -----------------------------------------------------------------


def test_the_provider_is_chosen_by_configuration() -> None:
    keys = IdentityKeys.from_secret(SecretStr(STRONG))
    local = settings(**BASE, environment="local", sandbox=True)
    sandbox = build_provider(local, keys)
    assert isinstance(sandbox, SandboxProvider) and sandbox.reveal is True
    assert build_provider(settings(**BASE, environment="local"), keys).kind == "sandbox"

    chosen = build_provider(settings(**PRODUCTION), keys)
    assert isinstance(chosen, OidcProvider)
    assert chosen.config == OidcConfig(
        issuer="https://id.example.kr",
        client_id="medrec",
        client_secret=STRONG,
        redirect_uri="https://portal.medrec.example/verify/callback",
        scopes="openid profile phone",
        timeout=10.0,
    )
    assert STRONG not in repr(chosen.config)


@pytest.mark.parametrize(
    "missing", ["oidc_issuer", "oidc_client_id", "oidc_client_secret", "oidc_redirect_uri"]
)
def test_an_oidc_provider_needs_its_whole_configuration(missing: str) -> None:
    with pytest.raises(ValidationError, match=missing):
        settings(**(BASE | OIDC | {"environment": "local", missing: None}))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"verification_provider": "sandbox"}, "sandbox verification provider"),
        ({"family_registry": "sandbox"}, "sandbox family registry"),
        ({"binding_service": "sandbox"}, "sandbox identity binding"),
        ({"binding_url": "http://ci.example.kr"}, "binding_url must be an https URL"),
        ({"public_url": None}, "public_url is required"),
        ({"public_url": "http://id.medrec.example"}, "public_url must be an https URL"),
        ({"jwt_issuer": "medrec-identity"}, "jwt_issuer must be public_url"),
        ({"binding_url": None}, "binding_service=http needs binding_url"),
        ({"binding_token": "secret"}, "binding_token is unset or unsafe"),
        ({"clock_file": "/tmp/clock"}, "clock_file"),
        ({"oidc_issuer": "http://id.example.kr"}, "oidc_issuer must be an https URL"),
        ({"oidc_redirect_uri": "http://portal.example"}, "oidc_redirect_uri must be an https"),
        ({"family_registry_url": "http://registry.example"}, "family_registry_url must be"),
        ({"oidc_client_secret": "short"}, "oidc_client_secret is unset or unsafe"),
        ({"family_registry_token": "changeme"}, "family_registry_token is unset or unsafe"),
        ({"oidc_scopes": "profile phone"}, "oidc_scopes must include openid"),
        ({"family_registry_url": None}, "family_registry=http needs family_registry_url"),
    ],
)
def test_production_refuses_unsafe_values(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        settings(**(PRODUCTION | change))


def test_production_limits_are_strict_and_local_ones_loose() -> None:
    production = settings(**PRODUCTION)
    assert (production.limit_per_phone, production.limit_per_ip) == (5, 30)
    assert production.verification_ttl_seconds == 180
    assert production.verification_max_attempts == 5
    local = settings(**BASE, environment="local")
    assert (local.limit_per_phone, local.limit_per_ip) == (1000, 10000)
    tuned = settings(**PRODUCTION, verification_limit_per_phone=2, verification_limit_per_ip=9)
    assert (tuned.limit_per_phone, tuned.limit_per_ip) == (2, 9)


# -- what the adapter sends and checks, against the stand-in --------------------------------------


@pytest.fixture
def op() -> Iterator[FakeProvider]:
    with fake_provider() as running:
        running.person = {
            "name": "김하늘",
            "birthdate": "1985-03-15",
            "phone_number": "+82 10-2345-6789",
            "phone_number_verified": True,
        }
        yield running


def adapter(op: FakeProvider) -> OidcProvider:
    return OidcProvider(
        OidcConfig(
            issuer=op.issuer,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            redirect_uri=REDIRECT_URI,
            scopes="openid profile phone",
            timeout=5.0,
        )
    )


CLAIMED = ClaimedIdentity("김하늘", "850315-1000001", date(1985, 3, 15), "01023456789")


async def test_the_authorization_url_carries_the_flow_and_no_personal_data(
    op: FakeProvider,
) -> None:
    provider = adapter(op)
    challenge = await provider.begin(uuid.uuid4(), CLAIMED)
    await provider.begin(uuid.uuid4(), CLAIMED)
    url = challenge.public["authorization_url"]
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{op.issuer}/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert set(query) == {
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
    }
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == REDIRECT_URI
    assert query["scope"] == "openid profile phone"
    assert query["code_challenge_method"] == "S256"
    saved = json.loads(challenge.state)
    assert (query["state"], query["nonce"]) == (saved["state"], saved["nonce"])
    assert query["code_challenge"] == pkce_challenge(saved["code_verifier"])
    assert 43 <= len(saved["code_verifier"]) <= 128
    for value in ("김하늘", "850315", "1000001", "2345", "6789"):
        assert value not in url
    discovery = [s for s in op.server.seen if s.path == "/.well-known/openid-configuration"]
    assert len(discovery) == 1  # cached
    await provider.aclose()


async def login_and_check(op: FakeProvider, provider: OidcProvider, **proof: str) -> Any:
    challenge = await provider.begin(uuid.uuid4(), CLAIMED)
    code, state = op.login(challenge.public["authorization_url"])
    return await provider.check(
        uuid.uuid4(), challenge.state, Proof(**({"code": code, "state": state} | proof))
    )


async def test_a_login_is_exchanged_and_its_id_token_checked(op: FakeProvider) -> None:
    provider = adapter(op)
    checked = await login_and_check(op, provider)
    assert checked.outcome is Outcome.CONFIRMED
    assert checked.attributes == VerifiedAttributes("김하늘", date(1985, 3, 15), "+82 10-2345-6789")
    [request] = op.token_requests()
    assert request.method == "POST"
    assert request.headers["authorization"] == basic_authorization(CLIENT_ID, CLIENT_SECRET)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = request.form()
    assert set(form) == {"grant_type", "code", "redirect_uri", "code_verifier"}
    assert (form["grant_type"], form["redirect_uri"]) == ("authorization_code", REDIRECT_URI)
    await provider.aclose()


async def test_a_wrong_state_is_a_wrong_try_and_nothing_is_sent(op: FakeProvider) -> None:
    provider = adapter(op)
    checked = await login_and_check(op, provider, state="not-the-state")
    assert checked.outcome is Outcome.WRONG
    assert op.token_requests() == []
    await provider.aclose()


async def test_an_unknown_or_used_code_is_a_wrong_try(op: FakeProvider) -> None:
    provider = adapter(op)
    assert (await login_and_check(op, provider, code="made-up")).outcome is Outcome.WRONG
    await provider.aclose()


async def test_an_id_token_for_another_authorization_is_a_wrong_try(op: FakeProvider) -> None:
    provider = adapter(op)
    op.id_token_overrides = {"nonce": "another-nonce"}
    assert (await login_and_check(op, provider)).outcome is Outcome.WRONG
    await provider.aclose()


@pytest.mark.parametrize(
    "tweak",
    [
        {"id_token_overrides": {"aud": "someone-else"}},
        {"id_token_overrides": {"iss": "https://evil.example"}},
        {"id_token_overrides": {"exp": 1_000_000_000, "iat": 999_999_000}},
        {"id_token_overrides": {"aud": [CLIENT_ID, "other"]}},  # several audiences, no azp
        {"id_token_overrides": {"sub": None}},
        {"id_token_header": {"kid": "unpublished"}},
        {"id_token_header": {"alg": "HS256"}},
        {"signing_key": "another"},
    ],
)
async def test_an_invalid_id_token_is_a_provider_error(
    op: FakeProvider, tweak: dict[str, Any]
) -> None:
    for name, value in tweak.items():
        setattr(op, name, ec.generate_private_key(ec.SECP256R1()) if value == "another" else value)
    provider = adapter(op)
    with pytest.raises(ProviderError):
        await login_and_check(op, provider)
    await provider.aclose()


async def test_a_failing_provider_is_unavailable(op: FakeProvider) -> None:
    provider = adapter(op)
    op.token_status = 503
    with pytest.raises(ProviderUnavailable):
        await login_and_check(op, provider)
    await provider.aclose()
    gone = OidcProvider(
        OidcConfig("http://127.0.0.1:9", CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, "openid", 2.0)
    )
    with pytest.raises(ProviderUnavailable):
        await gone.begin(uuid.uuid4(), CLAIMED)
    await gone.aclose()


async def test_a_discovery_document_for_another_issuer_is_refused(op: FakeProvider) -> None:
    provider = OidcProvider(
        OidcConfig(op.issuer + "/", CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, "openid", 5.0)
    )
    with pytest.raises(ProviderError):
        await provider.begin(uuid.uuid4(), CLAIMED)
    await provider.aclose()


def test_claims_become_attributes_only_when_well_formed() -> None:
    assert attributes_from(
        {
            "name": "김하늘",
            "birthdate": "1985-03-15",
            "phone_number": "x",
            "phone_number_verified": False,
        }
    ) == VerifiedAttributes("김하늘", date(1985, 3, 15), None)
    assert attributes_from({"name": 7, "birthdate": "1985"}) == VerifiedAttributes(None, None, None)
    ci = sandbox_ci("850315-1000001")
    assert attributes_from({"ci": ci}).ci == ci
    assert attributes_from({"ci": 7}).ci is None and attributes_from({"ci": ""}).ci is None
    assert attributes_from({"ci": ci}, "kcb_ci").ci is None
    assert attributes_from({"kcb_ci": ci}, "kcb_ci").ci == ci


def test_the_asserted_identity_must_match_the_claimed_one() -> None:
    keys = IdentityKeys.from_secret(SecretStr(STRONG))
    phone_hash = keys.phone_hash("010-2345-6789")
    claimed: dict[str, Any] = {
        "name": "김하늘",
        "birth_date": date(1985, 3, 15),
        "phone_hash": phone_hash,
        "keys": keys,
    }
    asserted = VerifiedAttributes(" 김하늘 ", date(1985, 3, 15), "+82 10 2345 6789")
    assert attributes_match(asserted, **claimed)
    for wrong in (
        VerifiedAttributes("김하람", date(1985, 3, 15), "01023456789"),
        VerifiedAttributes("김하늘", date(1985, 3, 16), "01023456789"),
        VerifiedAttributes("김하늘", date(1985, 3, 15), "01023456780"),
        VerifiedAttributes(None, date(1985, 3, 15), "01023456789"),
        VerifiedAttributes("김하늘", None, "01023456789"),
        VerifiedAttributes("김하늘", date(1985, 3, 15), None),
    ):
        assert not attributes_match(wrong, **claimed)


# -- the whole verification, through an identity process configured for OIDC ---------------------


@pytest.fixture(scope="module")
def oidc_lab(cluster: Cluster) -> Iterator[tuple[Lab, FakeProvider]]:
    with fake_provider() as provider:
        env = {
            "MEDREC_IDENTITY_VERIFICATION_PROVIDER": "oidc",
            "MEDREC_IDENTITY_OIDC_ISSUER": provider.issuer,
            "MEDREC_IDENTITY_OIDC_CLIENT_ID": CLIENT_ID,
            "MEDREC_IDENTITY_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "MEDREC_IDENTITY_OIDC_REDIRECT_URI": REDIRECT_URI,
        }
        with identity_lab(cluster, "oidc", env) as lab:
            yield lab, provider


def test_a_citizen_verifies_through_the_oidc_provider(
    oidc_lab: tuple[Lab, FakeProvider],
) -> None:
    lab, op = oidc_lab
    name, rrn, phone = new_name(), new_rrn(date(1985, 3, 15)), new_phone()
    op.person = {
        "name": name,
        "birthdate": "1985-03-15",
        "phone_number": phone,
        "ci": sandbox_ci(rrn),
    }
    http = lab.client()
    started = http.post(
        "/v1/verifications", json={"method": "mobile", "name": name, "rrn": rrn, "phone": phone}
    )
    assert started.status_code == 201, started.text
    body = started.json()
    assert set(body) == {"verification_id", "expires_at", "authorization_url"}
    code, state = op.login(body["authorization_url"])
    confirm = f"/v1/verifications/{body['verification_id']}/confirm"
    problem(http.post(confirm, json={"code": code}), 422, "validation")  # no state
    confirmed = http.post(confirm, json={"code": code, "state": state})
    assert confirmed.status_code == 200, confirmed.text
    me = http.get("/v1/me", headers=bearer(confirmed.json()["access_token"]))
    assert me.json()["name"] == name


def test_the_oidc_provider_authenticating_someone_else_is_refused(
    oidc_lab: tuple[Lab, FakeProvider],
) -> None:
    lab, op = oidc_lab
    name, rrn, phone = new_name(), new_rrn(date(1985, 3, 15)), new_phone()
    op.person = {
        "name": name + "수",
        "birthdate": "1985-03-15",
        "phone_number": phone,
        "ci": sandbox_ci(rrn),
    }
    http = lab.client()
    body = http.post(
        "/v1/verifications", json={"method": "mobile", "name": name, "rrn": rrn, "phone": phone}
    ).json()
    code, state = op.login(body["authorization_url"])
    confirm = f"/v1/verifications/{body['verification_id']}/confirm"
    refused = problem(
        http.post(confirm, json={"code": code, "state": state}), 400, "identity-mismatch"
    )
    assert refused["detail"] == "4 tries left."
    assert name not in str(refused)
    op.token_status = 502
    code, state = op.login(body["authorization_url"])
    problem(
        http.post(confirm, json={"code": code, "state": state}),
        503,
        "verification-provider-unavailable",
    )
    op.token_status = None


def start_oidc(http: httpx.Client, name: str, rrn: str, phone: str) -> dict[str, Any]:
    started = http.post(
        "/v1/verifications", json={"method": "mobile", "name": name, "rrn": rrn, "phone": phone}
    )
    assert started.status_code == 201, started.text
    body: dict[str, Any] = started.json()
    return body


def test_a_namesake_who_knows_the_rrn_gets_no_token(
    oidc_lab: tuple[Lab, FakeProvider], cluster: Cluster
) -> None:
    """Same name, same birth date, their own phone: the provider logs in the namesake, and
    asserts the namesake's CI, which the binding does not confirm for the victim's RRN."""
    lab, op = oidc_lab
    name, born = new_name(), date(1985, 3, 15)
    victim_rrn, namesake_rrn = new_rrn(born), new_rrn(born)
    namesake_phone = new_phone()
    op.person = {
        "name": name,
        "birthdate": "1985-03-15",
        "phone_number": namesake_phone,
        "ci": sandbox_ci(namesake_rrn),
    }
    http = lab.client()
    body = start_oidc(http, name, victim_rrn, namesake_phone)
    confirm = f"/v1/verifications/{body['verification_id']}/confirm"
    code, state = op.login(body["authorization_url"])
    refused = problem(
        http.post(confirm, json={"code": code, "state": state}), 400, "identity-mismatch"
    )
    assert "access_token" not in refused
    for value in (victim_rrn, namesake_rrn, name, op.person["ci"]):
        assert value not in str(refused)
    # A provider that asserts no CI binds no one either.
    op.person = {k: v for k, v in op.person.items() if k != "ci"}
    code, state = op.login(body["authorization_url"])
    problem(http.post(confirm, json={"code": code, "state": state}), 400, "identity-mismatch")

    # The genuine owner of the RRN, logged in by the provider with their CI, passes.
    victim_phone = new_phone()
    op.person = {
        "name": name,
        "birthdate": "1985-03-15",
        "phone_number": victim_phone,
        "ci": sandbox_ci(victim_rrn),
    }
    body = start_oidc(http, name, victim_rrn, victim_phone)
    code, state = op.login(body["authorization_url"])
    confirmed = http.post(
        f"/v1/verifications/{body['verification_id']}/confirm",
        json={"code": code, "state": state},
    )
    assert confirmed.status_code == 200, confirmed.text
    claims = token_claims(lab.url(), confirmed.json()["access_token"])
    assert claims["person_key"] == person_key(cluster, victim_rrn)
    for value in (victim_rrn, namesake_rrn, sandbox_ci(victim_rrn)):
        assert value not in lab.log_text()


# -- the identity binding's adapters -------------------------------------------------------------


async def test_the_sandbox_binding_confirms_only_the_rrns_own_ci() -> None:
    binding = SandboxBinding()
    rrn = "850315-1000001"
    assert len(sandbox_ci(rrn)) == 88  # the shape of a real CI
    assert await binding.confirms(rrn, sandbox_ci(rrn))
    assert not await binding.confirms(rrn, sandbox_ci("850315-1000002"))
    assert not await binding.confirms(rrn, "일" * 88)


async def test_the_http_binding_asks_with_both_in_the_body() -> None:
    rrn, ci = "850315-1000001", sandbox_ci("850315-1000001")
    answers: list[Reply] = [Reply(body={"match": True}), Reply(body={"match": False})]
    with fake_server({("POST", "/v1/confirm"): lambda _: answers.pop(0)}) as server:
        binding = HttpIdentityBinding(
            server.url + "/v1/confirm", "a-token-for-tests", httpx.AsyncClient(timeout=5)
        )
        assert await binding.confirms(rrn, ci)
        assert not await binding.confirms(rrn, ci)
        await binding.aclose()
    request = server.seen[0]
    assert request.json() == {"rrn": rrn, "ci": ci}
    assert request.headers["authorization"] == "Bearer a-token-for-tests"
    assert rrn not in request.path and not request.query


@pytest.mark.parametrize(
    "reply",
    [Reply(500, {}), Reply(404, {}), Reply(body={"match": "yes"}), Reply(body=b"not json")],
)
async def test_a_failing_binding_service_is_unavailable(reply: Reply) -> None:
    with fake_server({("POST", "/v1/confirm"): lambda _: reply}) as server:
        binding = HttpIdentityBinding(
            server.url + "/v1/confirm", "a-token-for-tests", httpx.AsyncClient(timeout=5)
        )
        with pytest.raises(BindingUnavailable):
            await binding.confirms("850315-1000001", sandbox_ci("850315-1000001"))
        await binding.aclose()
    gone = HttpIdentityBinding("http://127.0.0.1:9/", "t", httpx.AsyncClient(timeout=2))
    with pytest.raises(BindingUnavailable):
        await gone.confirms("850315-1000001", "x")
    await gone.aclose()


def test_the_phone_the_provider_verified_becomes_the_persons_contact(
    oidc_lab: tuple[Lab, FakeProvider], cluster: Cluster
) -> None:
    """The phone is kept (sealed) only as the provider asserted it verified, in identity's
    digits; a phone the provider does not mark verified gets no token and stores nothing."""
    lab, op = oidc_lab
    name, rrn = new_name(), new_rrn(date(1985, 3, 15))
    phone = new_phone()
    international = "+82 " + phone[1:]  # as a provider may assert it: +82 10-…
    op.person = {
        "name": name,
        "birthdate": "1985-03-15",
        "phone_number": international,
        "phone_number_verified": False,
        "ci": sandbox_ci(rrn),
    }
    http = lab.client()
    key = person_key(cluster, rrn)
    with contact_reader(cluster, ["contact:read"]) as reader:
        body = start_oidc(http, name, rrn, phone)
        code, state = op.login(body["authorization_url"])
        confirm = f"/v1/verifications/{body['verification_id']}/confirm"
        problem(http.post(confirm, json={"code": code, "state": state}), 400, "identity-mismatch")
        problem(contact_of(reader, key), 404, "not-found")

        op.person["phone_number_verified"] = True
        body = start_oidc(http, name, rrn, phone)
        code, state = op.login(body["authorization_url"])
        confirm = f"/v1/verifications/{body['verification_id']}/confirm"
        confirmed = http.post(confirm, json={"code": code, "state": state})
        assert confirmed.status_code == 200, confirmed.text
        read = contact_of(reader, key)
        assert read.status_code == 200, read.text
        assert read.json() == {"phone": phone.replace("-", "")}
    provider = "select provider from person_contacts where person_key = $1"
    assert [r["provider"] for r in sql(cluster, "identity", provider, key)] == ["oidc"]
    assert phone.replace("-", "") not in lab.log_text()
