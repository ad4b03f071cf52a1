"""issuance's own gauges, refreshed with the platform's (`observability.refresh`): the copies
waiting to be made, and when the issuer's certificate expires (copies signed after that cannot
be verified: renew it well before)."""

from cryptography import x509

from medrec_issuance.bootstrap import Issuer
from medrec_issuance.issuances.repository import IssuanceRepository
from medrec_shared.platform.db import Database, Transactions
from medrec_shared.platform.observability.metrics import (
    COPIES_WAITING,
    ISSUER_CERTIFICATE_EXPIRY,
)
from medrec_shared.platform.observability.refresh import Probe


def copies_probe(db: Database) -> Probe:
    async def probe() -> None:
        async with Transactions.of(db).read() as session:
            COPIES_WAITING.set(await IssuanceRepository(session).waiting())

    return probe


def issuer_probe(issuer: Issuer) -> Probe:
    """Read from the certificate the process loaded at start (no query)."""

    async def probe() -> None:
        certificate = x509.load_pem_x509_certificate(issuer.cert_pem)
        ISSUER_CERTIFICATE_EXPIRY.set(certificate.not_valid_after_utc.timestamp())

    return probe
