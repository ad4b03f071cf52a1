"""issuance's composition root: everything the API, the worker and the tests use, built once by
`build` (no I/O: the database, the object store and the clients connect when first used). What
must be read at startup (the issuer's key and certificate) has its holder here, `Issuer`, filled
by the API's lifespan and the worker's setup (`Issuer.load`)."""

from dataclasses import dataclass

from medrec_issuance.issuances.fulfilment import IssuerPem
from medrec_issuance.issuances.service import Issuances
from medrec_issuance.issuer.service import load_or_create_issuer_pem
from medrec_issuance.models import messaging, rate_events
from medrec_issuance.proxies.service import ProxyRequests
from medrec_issuance.settings import IssuanceSettings
from medrec_issuance.shares.service import Shares
from medrec_shared.platform.auth import TokenVerifier
from medrec_shared.platform.clock import Clock, build_clock
from medrec_shared.platform.components import Components
from medrec_shared.platform.crypto import LocalKeyring
from medrec_shared.platform.db import Database, Transactions
from medrec_shared.platform.http import ClientCredentials, ServiceClient
from medrec_shared.platform.messaging import Outbox
from medrec_shared.platform.ratelimit import RateLimiter
from medrec_shared.platform.storage import ObjectStore
from medrec_shared.platform.vault import Vault
from medrec_shared.rules.clients import CatalogClient, IdentityClient, IngestClient
from medrec_shared.rules.guardianship import api_token_verifier
from medrec_shared.rules.topics import EVENT_RULES


def service_credentials(settings: IssuanceSettings) -> ClientCredentials:
    return ClientCredentials(
        settings.token_url,
        settings.client_id,
        settings.client_secret.get_secret_value(),
        "content:read catalog:read names:read document-facts:read",
    )


def keyring_of(settings: IssuanceSettings) -> LocalKeyring:
    return LocalKeyring.from_spec(
        settings.content_keys.get_secret_value(), settings.content_key_active
    )


def object_store(settings: IssuanceSettings) -> ObjectStore:
    return ObjectStore.from_url(
        settings.s3_url,
        settings.s3_access_key.get_secret_value(),
        settings.s3_secret_key.get_secret_value(),
    )


class Issuer:
    """The issuing service's signing key and certificate, read (or created, at first start)
    once at startup by `load`; the process that signs copies reads `pem`, the public check the
    certificate."""

    def __init__(self, transactions: Transactions, keyring: LocalKeyring, clock: Clock) -> None:
        self._transactions = transactions
        self._keyring = keyring
        self._clock = clock
        self._pem: IssuerPem | None = None

    async def load(self) -> IssuerPem:
        key_pem, cert_pem = await load_or_create_issuer_pem(
            self._transactions, self._keyring, self._clock
        )
        self._pem = IssuerPem(key_pem, cert_pem)
        return self._pem

    @property
    def pem(self) -> IssuerPem:
        assert self._pem is not None, "the issuer is loaded at startup (Issuer.load)"
        return self._pem

    @property
    def cert_pem(self) -> bytes:
        return self.pem.cert_pem


@dataclass(frozen=True, kw_only=True)
class IssuanceComponents(Components):
    settings: IssuanceSettings
    keyring: LocalKeyring
    store: ObjectStore
    vault: Vault
    catalog: CatalogClient
    # The names records were deposited under, for an operator's Art. 21 review; and content.
    ingest: IngestClient
    identity: IdentityClient
    rate_limiter: RateLimiter  # the public check's, per client address
    issuer: Issuer
    issuances: Issuances
    proxies: ProxyRequests
    shares: Shares

    async def aclose(self) -> None:
        await self.catalog.aclose()
        await self.ingest.aclose()
        await self.identity.aclose()
        await super().aclose()


def build(
    settings: IssuanceSettings | None = None, *, verify_tokens: bool = False
) -> IssuanceComponents:
    """issuance's components, once per process. `verify_tokens`: for the API, which checks
    bearer tokens (the worker checks none)."""
    settings = settings or IssuanceSettings()
    clock = build_clock(settings.clock_file)
    db = Database(settings.database_url, pool_size=settings.database_pool_size)
    keyring = keyring_of(settings)
    store = object_store(settings)
    vault = Vault(store, settings.copies_bucket, keyring)
    outbox = Outbox(messaging.outbox, "issuance", rules=EVENT_RULES)
    credentials = service_credentials(settings)
    catalog = CatalogClient(ServiceClient(settings.catalog_url, credentials))
    ingest = IngestClient(ServiceClient(settings.ingest_url, credentials))
    identity = IdentityClient(ServiceClient(settings.identity_url, timeout=10.0))
    issuances = Issuances(
        settings=settings,
        clock=clock,
        vault=vault,
        catalog=catalog,
        identity=identity,
        facts=ingest,
    )
    shares = Shares(
        settings=settings,
        clock=clock,
        vault=vault,
        # Wrong access codes, per share and per client address: a limiter of its own for its
        # own words (the rate events table is the public check's too).
        limiter=RateLimiter(
            db.sessions,
            rate_events,
            clock.now,
            message="Too many wrong access codes; try again later.",
        ),
    )
    verifier: TokenVerifier | None = api_token_verifier(settings) if verify_tokens else None
    return IssuanceComponents(
        settings=settings,
        clock=clock,
        db=db,
        outbox=outbox,
        token_verifier=verifier,
        keyring=keyring,
        store=store,
        vault=vault,
        catalog=catalog,
        ingest=ingest,
        identity=identity,
        rate_limiter=RateLimiter(
            db.sessions,
            rate_events,
            clock.now,
            message="Too many authenticity checks from this address; try again shortly.",
        ),
        issuer=Issuer(Transactions.of(db), keyring, clock),
        issuances=issuances,
        proxies=ProxyRequests(
            settings=settings,
            clock=clock,
            vault=vault,
            catalog=catalog,
            ingest=ingest,
            issuances=issuances,
        ),
        shares=shares,
    )
