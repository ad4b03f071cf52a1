"""What a citizen sends to verify themselves, and what they get back."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from medrec_shared.rules.rrn import valid_rrn


class VerificationIn(BaseModel):
    method: Literal["mobile"]
    name: str = Field(min_length=1, max_length=100)
    rrn: str = Field(min_length=13, max_length=14, description="YYMMDD-GNNNNNN")
    phone: str = Field(pattern=r"^01[016789]-?\d{3,4}-?\d{4}$")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("rrn")
    @classmethod
    def _valid_rrn(cls, value: str) -> str:
        return valid_rrn(value)


class VerificationStarted(BaseModel):
    verification_id: uuid.UUID
    expires_at: datetime
    sandbox_code: str | None = Field(default=None, description="sandbox mode only")
    authorization_url: str | None = Field(
        default=None, description="OpenID Connect provider: send the citizen's browser here"
    )


class ConfirmIn(BaseModel):
    code: str = Field(
        min_length=1, max_length=2048, description="the 6-digit code, or an authorization code"
    )
    state: str | None = Field(
        default=None, max_length=512, description="OpenID Connect provider: the returned state"
    )


class CitizenToken(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int
    person_id: uuid.UUID
