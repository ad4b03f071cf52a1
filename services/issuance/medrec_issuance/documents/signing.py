"""PAdES signing of certified copies and their verification (pyHanko).

The issuing service signs every copy with one key; ``verify_pdf`` checks a copy against that
service's certificate. Functions are synchronous; they may also be called from a thread that runs
an event loop (pyHanko's coroutine is then run on a short-lived worker thread).
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import (
    ModificationLevel,
    PdfSignatureStatus,
    SignatureCoverageLevel,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .models import PdfCheck

logger = logging.getLogger(__name__)

FIELD_NAME: Final = "medrec"
VALIDITY: Final = timedelta(days=5 * 365 + 1)
_HARMLESS_UPDATES: Final = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)

T = TypeVar("T")


def _run(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def _common_name(cert: asn1_x509.Certificate) -> str:
    name = cert.subject.native.get("common_name")
    return str(name) if name else cert.subject.human_friendly


def _spki(public_key: Any) -> bytes:
    return bytes(
        public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


class IssuerSigner:
    """The issuing service's signing key and certificate chain (signer's certificate first)."""

    def __init__(self, signer: signers.SimpleSigner, common_name: str) -> None:
        self.signer = signer
        self.common_name = common_name

    @classmethod
    def from_pem(
        cls, key_pem: bytes, cert_pem: bytes, passphrase: bytes | None = None
    ) -> IssuerSigner:
        """Load an unencrypted (or ``passphrase``-protected) PEM key and a PEM chain.

        Raises ``ValueError`` when there is no certificate or the key does not match it.
        """
        certs = list(load_certs_from_pemder_data(cert_pem))
        if not certs:
            raise ValueError("no certificate in cert_pem")
        key = serialization.load_pem_private_key(key_pem, password=passphrase)
        leaf = x509.load_der_x509_certificate(certs[0].dump())
        if _spki(key.public_key()) != _spki(leaf.public_key()):
            raise ValueError("the private key does not belong to the first certificate")
        signer = signers.SimpleSigner(
            signing_cert=certs[0],
            signing_key=load_private_key_from_pemder_data(key_pem, passphrase=passphrase),
            cert_registry=SimpleCertificateStore.from_certs(certs),
        )
        return cls(signer, _common_name(certs[0]))


def create_self_signed_issuer(common_name: str = "medrec issuance (local)") -> tuple[bytes, bytes]:
    """A P-256 key and a self-signed certificate valid five years: ``(key_pem, cert_pem)``.

    For local use and tests; production loads a key issued by a real CA.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "medrec"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    # Wall-clock time, deliberately not the clock port: pyHanko checks the certificate's validity
    # against the real clock, as every service checks token times (medrec_shared.platform.clock).
    now = datetime.now(UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


class _SignerAt(signers.PdfSigner):
    """pyHanko's signer with the signing time given, not read from the wall clock: a copy's
    signing time is its issue time, from the service's clock (``medrec_shared.platform.clock``)."""

    def __init__(self, *args: Any, signing_time: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(
        self, pdf_out: Any, existing_fields_only: bool = False
    ) -> signers.pdf_signer.PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._signing_time
        return session


def sign_pdf(
    pdf: bytes,
    signer: IssuerSigner,
    *,
    signing_time: datetime | None = None,
    reason: str = "진료기록 사본 발급",
    location: str = "KR",
) -> bytes:
    """Add a PAdES B-B signature in the field ``medrec`` (an incremental update), signed at
    ``signing_time`` (the copy's issue time; the wall clock when not given)."""
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        reason=reason,
        location=location,
        name=signer.common_name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    pdf_signer = (
        signers.PdfSigner(meta, signer=signer.signer)
        if signing_time is None
        else _SignerAt(meta, signer=signer.signer, signing_time=signing_time)
    )
    output = io.BytesIO()
    _run(lambda: pdf_signer.async_sign_pdf(writer, output=output))
    return output.getvalue()


def _status(pdf: bytes, trusted_cert_pem: bytes) -> PdfSignatureStatus | None:
    roots = list(load_certs_from_pemder_data(trusted_cert_pem))
    if not roots:
        raise ValueError("no trusted certificate")
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    found = [s for s in reader.embedded_signatures if s.field_name == FIELD_NAME]
    if len(found) != 1:
        return None
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    return _run(lambda: async_validate_pdf_signature(found[0], context))


def verify_pdf(pdf: bytes, trusted_cert_pem: bytes) -> PdfCheck:
    """Check the ``medrec`` signature of a copy against the trusted issuer certificate.

    Never raises: anything unreadable is ``PdfCheck(intact=False, valid=False, signed_by=None)``.
    """
    try:
        status = _status(pdf, trusted_cert_pem)
    except Exception as exc:
        logger.info("signature check failed: %s", type(exc).__name__)
        return PdfCheck(intact=False, valid=False, signed_by=None)
    if status is None:
        return PdfCheck(intact=False, valid=False, signed_by=None)
    cryptographic = bool(status.intact and status.valid)
    unmodified = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and status.modification_level in _HARMLESS_UPDATES
    )
    intact = cryptographic and unmodified
    valid = intact and bool(status.trusted) and not status.revoked
    signed_by = _common_name(status.signing_cert) if cryptographic else None
    return PdfCheck(intact=intact, valid=valid, signed_by=signed_by)
