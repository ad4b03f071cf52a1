from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from medrec_ingest.settings import IngestSettings
from medrec_shared.auth import Principal, require_scope
from medrec_shared.db import Database, DbSession
from medrec_shared.vault import Vault
from medrec_shared.web import AppOutbox, from_state


def _sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    database: Database = request.app.state.db
    return database.sessions


Settings = Annotated[IngestSettings, Depends(from_state("settings"))]
VaultDep = Annotated[Vault, Depends(from_state("vault"))]
OutboxDep = AppOutbox
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
