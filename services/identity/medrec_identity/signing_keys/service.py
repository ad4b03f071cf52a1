"""Signing a token for the rest of identity: with the key active now (signing_keys/signer.py),
read in the caller's transaction."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_identity.signing_keys.repository import SigningKeyRepository
from medrec_identity.signing_keys.signer import load_active, sign
from medrec_shared.platform.crypto import Keyring


async def sign_with_active_key(
    session: AsyncSession,
    *,
    keyring: Keyring,
    claims: dict[str, Any],
    issuer: str,
    audience: str,
    ttl: int,
) -> str:
    """`claims` signed (ES256, the kid in the header) with the active key, valid `ttl` seconds."""
    key = await SigningKeyRepository(session).active()
    assert key is not None, "a signing key is created at start-up"
    return sign(load_active(key, keyring), claims, issuer=issuer, audience=audience, ttl=ttl)
