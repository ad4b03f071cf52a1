from typing import Annotated

from fastapi import Depends, Request

from medrec_issuance.settings import IssuanceSettings
from medrec_shared.auth import Principal, require_scope
from medrec_shared.db import DbSession
from medrec_shared.messaging import Outbox


def _settings(request: Request) -> IssuanceSettings:
    settings: IssuanceSettings = request.app.state.settings
    return settings


def _outbox(request: Request) -> Outbox:
    outbox: Outbox = request.app.state.outbox
    return outbox


Settings = Annotated[IssuanceSettings, Depends(_settings)]
OutboxDep = Annotated[Outbox, Depends(_outbox)]
Requester = Annotated[Principal, require_scope("issuance:write")]
Operator = Annotated[Principal, require_scope("admin")]

__all__ = ["DbSession", "Operator", "OutboxDep", "Requester", "Settings"]
