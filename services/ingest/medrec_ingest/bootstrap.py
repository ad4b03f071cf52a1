"""Ingest's composition root: its components built once, for the API (app.py), the worker
(worker.py), the operators' commands and the tests. Nothing here does I/O: the database and the
object store are reached when first used, and `aclose` releases what was opened."""

from dataclasses import dataclass

from medrec_ingest.deposit.service import Deposits
from medrec_ingest.destruction.service import Destructions
from medrec_ingest.fhir.recipient import Recipient
from medrec_ingest.jobs.service import Jobs
from medrec_ingest.models import messaging
from medrec_ingest.settings import IngestSettings
from medrec_shared.platform.clock import Clock, build_clock
from medrec_shared.platform.components import Components
from medrec_shared.platform.db import Database, Transactions
from medrec_shared.platform.http import ServiceClient
from medrec_shared.platform.messaging import Outbox
from medrec_shared.platform.storage import ObjectStore
from medrec_shared.platform.vault import Vault
from medrec_shared.rules.clients import IssuanceClient
from medrec_shared.rules.guardianship import api_token_verifier
from medrec_shared.rules.topics import EVENT_RULES

PRODUCER = "ingest"


@dataclass(frozen=True, kw_only=True)
class IngestComponents(Components):
    settings: IngestSettings
    vault: Vault  # the records bucket, with the content keyring
    deposits: Deposits
    recipient: Recipient  # ITI-65 bundles, deposited through `deposits`
    destructions: Destructions
    jobs: Jobs  # the key re-wrap and linkage backfill, run in the API process
    issuance: IssuanceClient  # a transfer's receipt, read with the depositor's token

    async def aclose(self) -> None:
        await self.jobs.aclose()
        await self.issuance.aclose()
        await self.vault.store.aclose()
        await super().aclose()


def object_store(settings: IngestSettings) -> ObjectStore:
    return ObjectStore.from_url(
        settings.s3_url,
        settings.s3_access_key.get_secret_value(),
        settings.s3_secret_key.get_secret_value(),
        parts_in_flight=settings.upload_parts_in_flight,
    )


def build(
    settings: IngestSettings | None = None,
    *,
    verify_tokens: bool = False,
    clock: Clock | None = None,
    pool_size: int | None = None,
) -> IngestComponents:
    """Ingest's components. `verify_tokens`: for the API, which checks bearer tokens (a worker
    or a command checks none). `pool_size`: the database pool, when not the settings' (a
    command needs one connection)."""
    settings = settings or IngestSettings()
    clock = clock or build_clock(settings.clock_file)
    db = Database(settings.database_url, pool_size=pool_size or settings.database_pool_size)
    outbox = Outbox(messaging.outbox, PRODUCER, rules=EVENT_RULES)
    vault = Vault(object_store(settings), settings.records_bucket, settings.keyring())
    transactions = Transactions.of(db, outbox)
    deposits = Deposits(transactions=transactions, settings=settings, vault=vault, clock=clock)
    return IngestComponents(
        settings=settings,
        clock=clock,
        db=db,
        outbox=outbox,
        token_verifier=api_token_verifier(settings) if verify_tokens else None,
        vault=vault,
        deposits=deposits,
        recipient=Recipient(deposits=deposits),
        destructions=Destructions(
            transactions=transactions, settings=settings, vault=vault, clock=clock
        ),
        jobs=Jobs(transactions=transactions, settings=settings, keyring=vault.keyring, clock=clock),
        issuance=IssuanceClient(ServiceClient(settings.issuance_url)),
    )
