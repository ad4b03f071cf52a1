"""The token signing keys' rows: ES256, several published in the JWKS during rotation, one active.
Private keys are sealed with the field keyring before they reach the database; a retired key's
private half is erased (its public JWK stays in the row, for the record).

A key's life (signing_keys/rotation.py): created active; deactivated when a newer key takes over
(still published, so the tokens it signed verify); retired (out of the JWKS) once those tokens
have expired."""

import json
import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, text, update

from medrec_identity.models import SigningKey
from medrec_shared.platform.crypto import Keyring, seal
from medrec_shared.platform.db import Repository

CONTEXT = b"identity.signing_key"  # bound into each sealed private key


class SigningKeyRepository(Repository):
    async def lock(self) -> None:
        """Held until the transaction ends: replicas starting together, and the key command,
        change the keys one at a time."""
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

    async def every(self) -> list[SigningKey]:
        """All keys, retired ones too, oldest first."""
        rows = await self.session.execute(select(SigningKey).order_by(SigningKey.created_at))
        return list(rows.scalars())

    async def deactivate_others(self, kid: str, now: datetime) -> list[str]:
        """Every active key but `kid` stops signing (stays published); returns their kids."""
        rows = await self.session.execute(
            update(SigningKey)
            .where(SigningKey.active, SigningKey.kid != kid)
            .values(active=False, deactivated_at=now)
            .returning(SigningKey.kid)
        )
        return list(rows.scalars())

    async def retire(self, kids: Collection[str], now: datetime) -> list[str]:
        """Out of the JWKS, private half erased; never an active key. Returns the kids retired."""
        if not kids:
            return []
        rows = await self.session.execute(
            update(SigningKey)
            .where(
                SigningKey.kid.in_(list(kids)),
                ~SigningKey.active,
                SigningKey.retired_at.is_(None),
            )
            .values(retired_at=now, private_key_sealed=b"")
            .returning(SigningKey.kid)
        )
        return list(rows.scalars())

    async def create(self, keyring: Keyring, now: datetime | None = None) -> SigningKey:
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
            private_key_sealed=seal(keyring, pem, context=CONTEXT),
            public_jwk=json.dumps(jwk),
            active=True,
        )
        if now is not None:
            key.created_at = now  # the clock port's "now"; else the database's
        self.session.add(key)
        await self.session.flush()
        return key
