"""A stand-in OpenID Connect provider: discovery, JWKS, an authorization endpoint that "logs the
citizen in" at once and redirects back with a code, and a token endpoint that checks the client's
Basic credentials, the redirect URI and PKCE before it answers with a signed ID token.

It speaks the protocol as OpenID Connect Core 1.0 and RFC 7636 describe it; it is not a real
provider, and passing against it proves the adapter's side of the exchange only."""

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus, urlencode

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.fakes import FakeServer, Reply, Seen, fake_server

CLIENT_ID = "medrec-portal"
CLIENT_SECRET = "a-client-secret-for-tests-only"
REDIRECT_URI = "https://portal.medrec.example/verify/callback"


@dataclass
class Grant:
    nonce: str
    code_challenge: str
    redirect_uri: str
    client_id: str


@dataclass
class FakeProvider:
    server: FakeServer
    key: ec.EllipticCurvePrivateKey
    kid: str
    # Who the next login authenticates, as ID token claims (name, birthdate, phone_number ...).
    person: dict[str, Any] = field(default_factory=dict)
    # Tweaks for the next ID tokens (e.g. {"aud": "someone-else"}); None values remove a claim.
    id_token_overrides: dict[str, Any] = field(default_factory=dict)
    id_token_header: dict[str, Any] = field(default_factory=dict)
    signing_key: Any = None  # another key to sign with (an unpublished one)
    grants: dict[str, Grant] = field(default_factory=dict)
    token_status: int | None = None  # force an answer from the token endpoint
    returned_state: str | None = None  # send the browser back with this state instead of its own

    @property
    def issuer(self) -> str:
        return self.server.url

    def token_requests(self) -> list[Seen]:
        return [s for s in self.server.seen if s.path == "/token"]

    def login(self, authorization_url: str) -> tuple[str, str]:
        """What the citizen's browser does: follow the URL, come back with (code, state)."""
        response = httpx.get(authorization_url, follow_redirects=False)
        assert response.status_code == 302, response.text
        location = response.headers["location"]
        assert location.startswith(REDIRECT_URI + "?"), location
        params = dict(p.split("=", 1) for p in location.split("?", 1)[1].split("&"))
        return unquote_plus(params["code"]), unquote_plus(params["state"])

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": "op-subject-" + secrets.token_hex(4),
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce,
            **self.person,
        }
        for name, value in self.id_token_overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        headers = {"kid": self.kid} | self.id_token_header
        algorithm = str(headers.pop("alg", "ES256"))
        key = self.signing_key or self.key
        if algorithm.startswith("HS"):
            key = "a-shared-secret-that-is-long-enough-for-hs256"
        return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@contextmanager
def fake_provider() -> Iterator[FakeProvider]:
    key = ec.generate_private_key(ec.SECP256R1())
    kid = "op-key-1"
    routes: dict[tuple[str, str], Any] = {}
    with fake_server(routes) as server:
        op = FakeProvider(server, key, kid)

        def discovery(_: Seen) -> Reply:
            return Reply(
                body={
                    "issuer": op.issuer,
                    "authorization_endpoint": f"{op.issuer}/authorize",
                    "token_endpoint": f"{op.issuer}/token",
                    "jwks_uri": f"{op.issuer}/jwks",
                    "response_types_supported": ["code"],
                    "id_token_signing_alg_values_supported": ["ES256"],
                }
            )

        def jwks(_: Seen) -> Reply:
            public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
            return Reply(body={"keys": [public | {"kid": kid, "use": "sig", "alg": "ES256"}]})

        def authorize(seen: Seen) -> Reply:
            q = {k: v[0] for k, v in seen.query.items()}
            if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256":
                return Reply(400, {"error": "invalid_request"})
            code = secrets.token_urlsafe(16)
            op.grants[code] = Grant(
                q["nonce"], q["code_challenge"], q["redirect_uri"], q["client_id"]
            )
            state = op.returned_state or q["state"]
            location = q["redirect_uri"] + "?" + urlencode({"code": code, "state": state})
            return Reply(302, b"", {"Location": location})

        def token(seen: Seen) -> Reply:
            if op.token_status is not None:
                return Reply(op.token_status, {"error": "server_error"})
            if seen.headers.get("authorization") != _basic(CLIENT_ID, CLIENT_SECRET):
                return Reply(401, {"error": "invalid_client"})
            form = seen.form()
            grant = op.grants.pop(form.get("code", ""), None)
            if (
                form.get("grant_type") != "authorization_code"
                or grant is None
                or form.get("redirect_uri") != grant.redirect_uri
                or _challenge(form.get("code_verifier", "")) != grant.code_challenge
            ):
                return Reply(400, {"error": "invalid_grant"})
            return Reply(
                body={
                    "access_token": secrets.token_urlsafe(16),
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": op.id_token(grant),
                }
            )

        routes.update(
            {
                ("GET", "/.well-known/openid-configuration"): discovery,
                ("GET", "/jwks"): jwks,
                ("GET", "/authorize"): authorize,
                ("POST", "/token"): token,
            }
        )
        yield op
