"""catalog's composition root: everything the API, the worker and the tests use, built once from
the settings (no I/O here: connections open on first use), closed by `aclose`."""

from dataclasses import dataclass

from medrec_catalog.fhir.everything_bundle import Everything
from medrec_catalog.fhir.service import DocumentResponder
from medrec_catalog.linkage.demographics import DemographicsSources
from medrec_catalog.linkage.service import LinkageReview
from medrec_catalog.models import messaging
from medrec_catalog.notices.delivery import Deliverer
from medrec_catalog.notices.sender import (
    HttpNoticeSender,
    IdentityContacts,
    NoticeSender,
    SandboxNoticeSender,
)
from medrec_catalog.records.metadata import PolledMetadata
from medrec_catalog.records.service import Records
from medrec_catalog.retention.service import Retention
from medrec_catalog.settings import CatalogSettings
from medrec_shared.platform.clock import build_clock
from medrec_shared.platform.components import Components
from medrec_shared.platform.db import Database, Transactions
from medrec_shared.platform.http import ClientCredentials, ServiceClient
from medrec_shared.platform.messaging import Outbox
from medrec_shared.rules.clients import IdentityClient, IngestClient
from medrec_shared.rules.guardianship import api_token_verifier
from medrec_shared.rules.topics import EVENT_RULES


@dataclass(frozen=True, kw_only=True)
class CatalogComponents(Components):
    settings: CatalogSettings
    demographics: DemographicsSources  # the API's: an operator's linkage review
    metadata: PolledMetadata  # the worker's: titles and departments of stored records
    records: Records
    linkage: LinkageReview
    retention: Retention
    notices: Deliverer  # the worker's: sends what people chose to be sent
    everything: Everything  # the API's: a person's records as KR Core ($everything)
    fhir: DocumentResponder  # the API's: ITI-67/68 for a citizen or a guardian

    async def aclose(self) -> None:
        await self.everything.ingest.aclose()
        await self.everything.identity.aclose()
        await self.demographics.aclose()
        await self.notices.sender.aclose()
        await self.metadata.ingest.aclose()
        await self.fhir.aclose()
        await super().aclose()


def _credentials(settings: CatalogSettings, scope: str) -> ClientCredentials:
    return ClientCredentials(
        settings.token_url,
        settings.client_id,
        settings.client_secret.get_secret_value(),
        scope,
    )


def demographics_sources(settings: CatalogSettings) -> DemographicsSources:
    """ingest and identity, each with catalog's own token for scope demographics:read (one
    credentials object: both services take the same token)."""
    credentials = _credentials(settings, "demographics:read")
    return DemographicsSources(
        IngestClient(ServiceClient(settings.ingest_url, credentials)),
        IdentityClient(ServiceClient(settings.identity_url, credentials)),
    )


def record_metadata(settings: CatalogSettings) -> PolledMetadata:
    """ingest, with catalog's own token for scope metadata:read."""
    return PolledMetadata(
        IngestClient(ServiceClient(settings.ingest_url, _credentials(settings, "metadata:read")))
    )


def everything(settings: CatalogSettings) -> Everything:
    """ingest's content with catalog's token for scope content:read (each read recorded there,
    purpose fhir_export); identity with the subject's own token (their name, sex, and RRN when
    asked)."""
    return Everything(
        settings=settings,
        ingest=IngestClient(
            ServiceClient(settings.ingest_url, _credentials(settings, "content:read"))
        ),
        identity=IdentityClient(ServiceClient(settings.identity_url)),
    )


def document_responder(settings: CatalogSettings) -> DocumentResponder:
    """identity for an RRN's person key (person-keys:read), ingest for content (content:read,
    purpose citizen_download): catalog's own tokens, one per scope."""
    return DocumentResponder(
        settings=settings,
        identity=IdentityClient(
            ServiceClient(settings.identity_url, _credentials(settings, "person-keys:read"))
        ),
        ingest=IngestClient(
            ServiceClient(settings.ingest_url, _credentials(settings, "content:read"))
        ),
    )


def notice_sender(settings: CatalogSettings) -> NoticeSender:
    """The sandbox, or the HTTP provider with the phone from identity (scope contact:read)."""
    if settings.notice_sender == "sandbox":
        return SandboxNoticeSender()
    assert settings.notice_sender_url and settings.notice_sender_key  # the settings check it
    contacts = IdentityContacts(
        ServiceClient(settings.identity_url, _credentials(settings, "contact:read"))
    )
    return HttpNoticeSender(
        settings.notice_sender_url, settings.notice_sender_key.get_secret_value(), contacts
    )


def build(
    settings: CatalogSettings | None = None, *, verify_tokens: bool = False
) -> CatalogComponents:
    """`verify_tokens`: for the API, which checks bearer tokens (the worker checks none)."""
    settings = settings or CatalogSettings()
    db = Database(settings.database_url, pool_size=settings.database_pool_size)
    clock = build_clock(settings.clock_file)
    outbox = Outbox(messaging.outbox, "catalog", rules=EVENT_RULES)
    demographics = demographics_sources(settings)
    transactions = Transactions.of(db, outbox)
    return CatalogComponents(
        settings=settings,
        clock=clock,
        db=db,
        outbox=outbox,
        token_verifier=api_token_verifier(settings) if verify_tokens else None,
        demographics=demographics,
        metadata=record_metadata(settings),
        records=Records(settings=settings),
        linkage=LinkageReview(settings=settings, demographics=demographics),
        retention=Retention(transactions=transactions, settings=settings, clock=clock),
        notices=Deliverer(transactions=transactions, sender=notice_sender(settings), clock=clock),
        everything=everything(settings),
        fhir=document_responder(settings),
    )
