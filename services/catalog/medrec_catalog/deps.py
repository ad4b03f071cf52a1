from typing import Annotated

from fastapi import Depends, Request

from medrec_catalog.settings import CatalogSettings
from medrec_shared.auth import Principal, require_scope
from medrec_shared.db import DbSession
from medrec_shared.messaging import Outbox


def _settings(request: Request) -> CatalogSettings:
    settings: CatalogSettings = request.app.state.settings
    return settings


def _outbox(request: Request) -> Outbox:
    outbox: Outbox = request.app.state.outbox
    return outbox


Settings = Annotated[CatalogSettings, Depends(_settings)]
OutboxDep = Annotated[Outbox, Depends(_outbox)]
Citizen = Annotated[Principal, require_scope("records:read")]
CatalogReader = Annotated[Principal, require_scope("catalog:read")]
Operator = Annotated[Principal, require_scope("admin")]

__all__ = ["CatalogReader", "Citizen", "DbSession", "Operator", "OutboxDep", "Settings"]
