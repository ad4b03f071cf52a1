"""What registering a client and asking for a token send and get back."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

KNOWN_SCOPES = frozenset(
    {
        "transfer:write",
        "records:read",
        "issuance:write",
        "admin",
        "content:read",
        "catalog:read",
        "metadata:read",
        "demographics:read",
        "names:read",
    }
)
# Scopes that read records' plaintext, owners or demographics across every person: held only by
# medrec's own services, whose clients deployment provisions (`medrec-identity-service-clients`),
# never an operator through the API (an operator minting one could read anyone's records).
SERVICE_SCOPES = frozenset(
    {"content:read", "catalog:read", "metadata:read", "demographics:read", "names:read"}
)
INSTITUTION_CODE = r"^\d{8}$"


class ClientIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    institution_codes: list[Annotated[str, Field(pattern=INSTITUTION_CODE)]] = Field(
        default_factory=list, max_length=1000
    )
    scopes: list[str] = Field(min_length=1)

    @field_validator("scopes")
    @classmethod
    def _known(cls, scopes: list[str]) -> list[str]:
        unknown = set(scopes) - KNOWN_SCOPES
        if unknown:
            raise ValueError(f"unknown scopes: {', '.join(sorted(unknown))}")
        reserved = set(scopes) & SERVICE_SCOPES
        if reserved:
            raise ValueError(
                f"service scopes are provisioned by deployment, not registered here: "
                f"{', '.join(sorted(reserved))}"
            )
        return sorted(set(scopes))


class ClientOut(BaseModel):
    client_id: str
    name: str
    institution_codes: list[str]
    scopes: list[str]
    created_at: datetime


class ClientCreated(ClientOut):
    client_secret: str = Field(description="Shown once; only a hash is kept.")


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int
    scope: str
