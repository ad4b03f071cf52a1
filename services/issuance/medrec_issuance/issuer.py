"""The issuing service's signing identity: loaded from the database, created at first start."""

from sqlalchemy import select, text

from medrec_issuance.documents import IssuerSigner, create_self_signed_issuer
from medrec_issuance.models import IssuerKey
from medrec_shared.crypto import Keyring, seal, unseal
from medrec_shared.db import Database

_CONTEXT = b"issuance.issuer_key"


async def load_or_create_issuer(db: Database, keyring: Keyring) -> tuple[IssuerSigner, bytes]:
    """Returns the signer and its certificate (PEM), the trust anchor for verification."""
    async with db.sessions() as session, session.begin():
        await session.execute(text("SELECT pg_advisory_xact_lock(8004)"))
        key = await session.scalar(
            select(IssuerKey).where(IssuerKey.active).order_by(IssuerKey.id.desc())
        )
        if key is None:
            key_pem, cert_pem = create_self_signed_issuer()
            key = IssuerKey(
                key_pem_sealed=seal(keyring, key_pem, context=_CONTEXT),
                cert_pem=cert_pem.decode(),
                active=True,
            )
            session.add(key)
            await session.flush()
        key_pem = unseal(keyring, key.key_pem_sealed, context=_CONTEXT)
        cert = key.cert_pem.encode()
    return IssuerSigner.from_pem(key_pem, cert), cert
