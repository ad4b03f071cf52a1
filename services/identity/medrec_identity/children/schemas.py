"""What a guardian gets back: the children the registry knows, and a token to act for one."""

import uuid
from datetime import date

from pydantic import BaseModel


class ChildOut(BaseModel):
    person_id: uuid.UUID
    name: str
    birth_date: date
    age: int
    eligible: bool
    reason: str | None  # age_limit | not_a_guardian | no_parental_authority


class ChildrenOut(BaseModel):
    items: list[ChildOut]
    next_cursor: str | None = None


class GuardianTokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int
    scope: str
    person_id: uuid.UUID  # the child
