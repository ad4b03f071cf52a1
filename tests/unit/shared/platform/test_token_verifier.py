"""The token verifier remembers verified tokens (medrec_shared.platform.auth): a remembered token is
still refused when the JWKS no longer vouches for the key that verified it. A real JWKS over HTTP on
loopback; tokens signed with real ES256 keys."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from medrec_shared.platform.auth import JwksCache, TokenVerifier
from medrec_shared.platform.problems import Unauthorized

ISSUER, AUDIENCE, KID = "https://identity.test", "medrec", "key-1"


class Jwks:
    """What the loopback JWKS endpoint serves; tests swap the keys."""

    keys: list[dict[str, Any]] = []  # noqa: RUF012


def _jwk(key: ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    return jwk | {"kid": kid, "use": "sig", "alg": "ES256"}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"keys": Jwks.keys}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def jwks_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def _token(key: ec.EllipticCurvePrivateKey, kid: str = KID, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "emr-1", "iat": now, "exp": now + 300,
               "scope": "transfer:write", "institution_codes": ["11111111"]} | claims  # fmt: skip
    return jwt.encode(payload, key, algorithm="ES256", headers={"kid": kid})


def _verifier(url: str) -> TokenVerifier:
    # No caching of the JWKS itself: every verification asks it again, as after a cache time.
    jwks = JwksCache(url, cache_seconds=0, min_refresh_seconds=0)
    return TokenVerifier(jwks, issuer=ISSUER, audience=AUDIENCE)


async def test_a_remembered_token_is_answered_with_the_same_principal(jwks_url: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    Jwks.keys = [_jwk(key, KID)]
    verifier = _verifier(jwks_url)
    token = _token(key)
    first = await verifier.verify(token)
    again = await verifier.verify(token)
    assert again == first
    assert again.institution_codes == frozenset({"11111111"})


async def test_a_remembered_token_is_refused_once_its_key_leaves_the_jwks(jwks_url: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    Jwks.keys = [_jwk(key, KID)]
    verifier = _verifier(jwks_url)
    token = _token(key)
    await verifier.verify(token)
    Jwks.keys = []
    with pytest.raises(Unauthorized):
        await verifier.verify(token)


async def test_a_remembered_token_is_refused_when_its_kid_names_another_key(
    jwks_url: str,
) -> None:
    key, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    Jwks.keys = [_jwk(key, KID)]
    verifier = _verifier(jwks_url)
    token = _token(key)
    await verifier.verify(token)
    Jwks.keys = [_jwk(other, KID)]  # the same kid, now another key: the token is not its
    with pytest.raises(Unauthorized):
        await verifier.verify(token)


async def test_an_expired_token_is_refused_and_not_remembered(jwks_url: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    Jwks.keys = [_jwk(key, KID)]
    verifier = _verifier(jwks_url)
    now = int(time.time())
    # Expired a second ago: refused at its first use, and so never remembered.
    token = _token(key, iat=now - 60, exp=now - 1)
    for _ in range(2):
        with pytest.raises(Unauthorized):
            await verifier.verify(token)
