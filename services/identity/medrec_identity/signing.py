"""The token signing keys: ES256, several published in the JWKS during rotation, one active.
Private keys are sealed with the field keyring before they reach the database."""

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, text

from medrec_identity.models import SigningKey
from medrec_shared.crypto import Keyring, seal, unseal
from medrec_shared.db import Repository

_CONTEXT = b"identity.signing_key"


@dataclass(frozen=True)
class ActiveKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey


class SigningKeyRepository(Repository):
    async def lock_for_start_up(self) -> None:
        """Held until the transaction ends: replicas starting together bootstrap one at a time."""
        await self.session.execute(text("SELECT pg_advisory_xact_lock(8001)"))

    async def active(self) -> SigningKey | None:
        return await self.scalar(
            select(SigningKey)
            .where(SigningKey.active)
            .order_by(SigningKey.created_at.desc())
            .limit(1)
        )

    async def published(self) -> list[SigningKey]:
        rows = await self.session.execute(select(SigningKey).where(SigningKey.retired_at.is_(None)))
        return list(rows.scalars())

    async def create(self, keyring: Keyring) -> SigningKey:
        private_key = ec.generate_private_key(ec.SECP256R1())
        kid = uuid.uuid4().hex
        jwk: dict[str, Any] = json.loads(
            jwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key())
        )
        jwk.update(kid=kid, use="sig", alg="ES256")
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        key = SigningKey(
            kid=kid,
            private_key_sealed=seal(keyring, pem, context=_CONTEXT),
            public_jwk=json.dumps(jwk),
            active=True,
        )
        self.session.add(key)
        await self.session.flush()
        return key


def load_active(key: SigningKey, keyring: Keyring) -> ActiveKey:
    pem = unseal(keyring, key.private_key_sealed, context=_CONTEXT)
    private_key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(private_key, ec.EllipticCurvePrivateKey)
    return ActiveKey(key.kid, private_key)


def sign(key: ActiveKey, claims: dict[str, Any], *, issuer: str, audience: str, ttl: int) -> str:
    now = int(time.time())
    payload = {
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
    }
    payload.update(claims)
    return jwt.encode(payload, key.private_key, algorithm="ES256", headers={"kid": key.kid})
