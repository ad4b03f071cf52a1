"""What registering a client and asking for a token send and get back."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from medrec_shared.rules.staff import MACHINE_SCOPES, SCOPE_TEXT

TRANSFER_WRITE = "transfer:write"
# Every scope identity's tokens carry: institutions', citizens', services' and the admin acts'
# (staff tokens; a machine account holds some). There is no blanket `admin` since #27.
KNOWN_SCOPES = frozenset(
    {
        TRANSFER_WRITE,
        "records:read",
        "issuance:write",
        "content:read",
        "catalog:read",
        "metadata:read",
        "demographics:read",
        "names:read",
        "document-facts:read",
        "contact:read",
        "person-keys:read",
    }
    | set(SCOPE_TEXT)
)
# Scopes that read records' plaintext, owners, demographics or phones across every person: held
# only by medrec's own services, whose clients deployment provisions
# (`medrec-identity-service-clients`), never an operator through the API (an operator minting one
# could read anyone's records).
SERVICE_SCOPES = frozenset(
    {
        "content:read",
        "catalog:read",
        "metadata:read",
        "demographics:read",
        "names:read",
        "document-facts:read",
        "contact:read",
        "person-keys:read",
    }
)
# What `POST /v1/clients` may give: an institution's deposits, or a machine account's
# operations. Never a decision that needs a person (reviews, links, releases: staff tokens
# only), never the services' reads.
REGISTRABLE_SCOPES = frozenset({TRANSFER_WRITE}) | MACHINE_SCOPES
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
        unknown = set(scopes) - KNOWN_SCOPES - {"admin"}
        if unknown:
            raise ValueError(f"unknown scopes: {', '.join(sorted(unknown))}")
        reserved = set(scopes) & SERVICE_SCOPES
        if reserved:
            raise ValueError(
                f"service scopes are provisioned by deployment, not registered here: "
                f"{', '.join(sorted(reserved))}"
            )
        refused = set(scopes) - REGISTRABLE_SCOPES
        if refused:
            raise ValueError(
                f"a client may hold transfer:write or machine scopes "
                f"({', '.join(sorted(MACHINE_SCOPES))}), not: {', '.join(sorted(refused))}"
            )
        return sorted(set(scopes))


class ClientOut(BaseModel):
    client_id: str
    name: str
    institution_codes: list[str]
    scopes: list[str]
    created_at: datetime
    registered_by: str | None = Field(
        default=None, description="the staff login or machine account that registered it"
    )


class ClientCreated(ClientOut):
    client_secret: str = Field(description="Shown once; only a hash is kept.")


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int
    scope: str
