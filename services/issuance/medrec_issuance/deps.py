from typing import Annotated

from fastapi import Depends

from medrec_issuance.settings import IssuanceSettings
from medrec_shared.auth import Principal, require_scope
from medrec_shared.db import DbSession
from medrec_shared.web import AppOutbox, from_state

Settings = Annotated[IssuanceSettings, Depends(from_state("settings"))]
OutboxDep = AppOutbox
Requester = Annotated[Principal, require_scope("issuance:write")]
Operator = Annotated[Principal, require_scope("admin")]

__all__ = ["DbSession", "Operator", "OutboxDep", "Requester", "Settings"]
