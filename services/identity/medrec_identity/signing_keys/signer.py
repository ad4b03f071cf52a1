"""Signing a token with the active key: its private half unsealed from the field keyring for the
one token, the kid in the header so every service finds the public half in the JWKS."""

import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from medrec_identity.models import SigningKey
from medrec_identity.signing_keys.repository import CONTEXT
from medrec_shared.platform.crypto import Keyring, unseal


@dataclass(frozen=True)
class ActiveKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey


def load_active(key: SigningKey, keyring: Keyring) -> ActiveKey:
    pem = unseal(keyring, key.private_key_sealed, context=CONTEXT)
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
