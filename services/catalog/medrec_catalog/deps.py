from typing import Annotated

from fastapi import Depends

from medrec_catalog.settings import CatalogSettings
from medrec_shared.auth import Principal, require_scope
from medrec_shared.db import DbSession
from medrec_shared.web import AppOutbox, from_state

Settings = Annotated[CatalogSettings, Depends(from_state("settings"))]
OutboxDep = AppOutbox
Citizen = Annotated[Principal, require_scope("records:read")]
CatalogReader = Annotated[Principal, require_scope("catalog:read")]
Operator = Annotated[Principal, require_scope("admin")]

__all__ = ["CatalogReader", "Citizen", "DbSession", "Operator", "OutboxDep", "Settings"]
