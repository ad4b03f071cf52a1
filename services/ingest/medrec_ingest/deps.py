"""The typed request dependencies of ingest's routes, all read from its components
(bootstrap.py)."""

from typing import Annotated

from fastapi import Depends

from medrec_ingest.bootstrap import IngestComponents
from medrec_ingest.deposit.service import Deposits
from medrec_ingest.destruction.service import Destructions
from medrec_ingest.fhir.recipient import Recipient
from medrec_ingest.jobs.service import Jobs
from medrec_ingest.settings import IngestSettings
from medrec_shared.platform.auth import Principal, require_scope
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.components import component
from medrec_shared.platform.db import DbSession, Transactions
from medrec_shared.platform.vault import Vault
from medrec_shared.rules.clients import IssuanceClient
from medrec_shared.rules.staff import (
    DESTRUCTIONS_READ,
    KEYS_MANAGE,
    SWEEPS_RUN,
    TRANSFERS_OVERSEE,
    TRANSFERS_RELEASE,
)

Ingest = Annotated[IngestComponents, Depends(component(IngestComponents))]


# async: run on the loop, no thread hop
async def _settings(c: Ingest) -> IngestSettings:
    return c.settings


async def _vault(c: Ingest) -> Vault:
    return c.vault


async def _clock(c: Ingest) -> Clock:
    return c.clock


async def _transactions(c: Ingest) -> Transactions:
    return c.transactions


async def _deposits(c: Ingest) -> Deposits:
    return c.deposits


async def _recipient(c: Ingest) -> Recipient:
    return c.recipient


async def _destructions(c: Ingest) -> Destructions:
    return c.destructions


async def _jobs(c: Ingest) -> Jobs:
    return c.jobs


async def _issuance(c: Ingest) -> IssuanceClient:
    return c.issuance


Settings = Annotated[IngestSettings, Depends(_settings)]
VaultDep = Annotated[Vault, Depends(_vault)]
# The service's clock (medrec_shared.platform.clock), for code that asks the time more than once in
# a request (a batch spans minutes); a single answer takes `Now` (medrec_shared.platform.web).
ClockDep = Annotated[Clock, Depends(_clock)]
# For requests that move content: the boundary opens short transactions of its own around the
# upload (`async with transactions.begin() as session`), never one that lasts the whole request.
TransactionsDep = Annotated[Transactions, Depends(_transactions)]
DepositsDep = Annotated[Deposits, Depends(_deposits)]
RecipientDep = Annotated[Recipient, Depends(_recipient)]
DestructionsDep = Annotated[Destructions, Depends(_destructions)]
Depositor = Annotated[Principal, require_scope("transfer:write")]
ContentReader = Annotated[Principal, require_scope("content:read")]
MetadataReader = Annotated[Principal, require_scope("metadata:read")]
DemographicsReader = Annotated[Principal, require_scope("demographics:read")]
NamesReader = Annotated[Principal, require_scope("names:read")]
DocumentFactsReader = Annotated[Principal, require_scope("document-facts:read")]
# Staff, named for who may call (medrec_shared.rules.staff: the one scope of each act).
Releaser = Annotated[Principal, require_scope(TRANSFERS_RELEASE)]
TransfersOverseer = Annotated[Principal, require_scope(TRANSFERS_OVERSEE)]
DestructionsReader = Annotated[Principal, require_scope(DESTRUCTIONS_READ)]
JobsDep = Annotated[Jobs, Depends(_jobs)]
IssuanceDep = Annotated[IssuanceClient, Depends(_issuance)]
KeyManager = Annotated[Principal, require_scope(KEYS_MANAGE)]
SweepRunner = Annotated[Principal, require_scope(SWEEPS_RUN)]

__all__ = [
    "ClockDep",
    "ContentReader",
    "DbSession",
    "DemographicsReader",
    "Depositor",
    "DepositsDep",
    "DestructionsDep",
    "DestructionsReader",
    "DocumentFactsReader",
    "Ingest",
    "IssuanceDep",
    "JobsDep",
    "KeyManager",
    "MetadataReader",
    "NamesReader",
    "RecipientDep",
    "Releaser",
    "Settings",
    "SweepRunner",
    "TransactionsDep",
    "TransfersOverseer",
    "VaultDep",
]
