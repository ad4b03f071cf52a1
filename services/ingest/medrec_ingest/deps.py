from typing import Annotated

from fastapi import Depends, Request

from medrec_ingest.settings import IngestSettings
from medrec_shared.auth import Principal, require_scope
from medrec_shared.clock import Clock
from medrec_shared.db import Database, DbSession, Transactions
from medrec_shared.vault import Vault
from medrec_shared.web import AppOutbox, from_state


async def _transactions(request: Request) -> Transactions:  # async: run on the loop, no thread hop
    database: Database = request.app.state.db
    return Transactions.of(database)


Settings = Annotated[IngestSettings, Depends(from_state("settings"))]
VaultDep = Annotated[Vault, Depends(from_state("vault"))]
OutboxDep = AppOutbox
# The service's clock (medrec_shared.clock), for code that asks the time more than once in a
# request (a batch spans minutes); a single answer takes `Now` (medrec_shared.web).
ClockDep = Annotated[Clock, Depends(from_state("clock"))]
# For requests that move content: the boundary opens short transactions of its own around the
# upload (`async with transactions.begin() as session`), never one that lasts the whole request.
TransactionsDep = Annotated[Transactions, Depends(_transactions)]
Depositor = Annotated[Principal, require_scope("transfer:write")]
ContentReader = Annotated[Principal, require_scope("content:read")]
MetadataReader = Annotated[Principal, require_scope("metadata:read")]
DemographicsReader = Annotated[Principal, require_scope("demographics:read")]
NamesReader = Annotated[Principal, require_scope("names:read")]
Operator = Annotated[Principal, require_scope("admin")]

__all__ = [
    "ClockDep",
    "ContentReader",
    "DbSession",
    "DemographicsReader",
    "Depositor",
    "MetadataReader",
    "NamesReader",
    "Operator",
    "OutboxDep",
    "Settings",
    "TransactionsDep",
    "VaultDep",
]
