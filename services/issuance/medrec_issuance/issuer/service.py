"""The issuing service's signing identity: loaded from the database, created at first start.
The private key is kept sealed with the content keyring; the certificate is the trust anchor the
public check verifies uploads against."""

from medrec_issuance.documents import create_self_signed_issuer
from medrec_issuance.issuer.repository import IssuerKeyRepository
from medrec_issuance.models import IssuerKey
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.crypto import Keyring, seal, unseal
from medrec_shared.platform.db import Transactions

_CONTEXT = b"issuance.issuer_key"


async def load_or_create_issuer_pem(
    transactions: Transactions, keyring: Keyring, clock: Clock
) -> tuple[bytes, bytes]:
    """Returns the private key and its certificate (PEM): what the process that signs copies
    reads. One transaction of its own, under an advisory lock, so replicas starting together
    agree on one key."""
    async with transactions.begin() as session:
        keys = IssuerKeyRepository(session)
        await keys.lock()
        key = await keys.active()
        if key is None:
            key_pem, cert_pem = create_self_signed_issuer()
            key = IssuerKey(
                key_pem_sealed=seal(keyring, key_pem, context=_CONTEXT),
                cert_pem=cert_pem.decode(),
                active=True,
                created_at=clock.now(),
            )
            await keys.add(key)
        key_pem = unseal(keyring, key.key_pem_sealed, context=_CONTEXT)
        cert = key.cert_pem.encode()
    return key_pem, cert
