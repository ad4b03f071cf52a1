from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from medrec_ingest.settings import IngestSettings
from medrec_shared.auth import Principal, require_scope
from medrec_shared.db import Database, DbSession
from medrec_shared.messaging import Outbox
from medrec_shared.vault import Vault


def _settings(request: Request) -> IngestSettings:
    settings: IngestSettings = request.app.state.settings
    return settings


def _vault(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


def _outbox(request: Request) -> Outbox:
    outbox: Outbox = request.app.state.outbox
    return outbox


def _sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    database: Database = request.app.state.db
    return database.sessions


Settings = Annotated[IngestSettings, Depends(_settings)]
VaultDep = Annotated[Vault, Depends(_vault)]
OutboxDep = Annotated[Outbox, Depends(_outbox)]
# For requests that move content: the boundary opens short transactions of its own around the
# upload (`async with sessions.begin() as session`), never one that lasts the whole request.
Sessions = Annotated[async_sessionmaker[AsyncSession], Depends(_sessions)]
Depositor = Annotated[Principal, require_scope("transfer:write")]
ContentReader = Annotated[Principal, require_scope("content:read")]
MetadataReader = Annotated[Principal, require_scope("metadata:read")]
Operator = Annotated[Principal, require_scope("admin")]

__all__ = [
    "ContentReader",
    "DbSession",
    "Depositor",
    "MetadataReader",
    "Operator",
    "OutboxDep",
    "Sessions",
    "Settings",
    "VaultDep",
]
