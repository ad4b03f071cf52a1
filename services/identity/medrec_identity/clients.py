"""API clients (institutions, EMR vendors, services, operators) and the OAuth2 token endpoint."""

import base64
import binascii
import secrets
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select

from medrec_identity.deps import FieldKeyring, Session, Settings
from medrec_identity.models import ApiClient
from medrec_identity.secrets import hash_secret, new_secret, secret_matches
from medrec_identity.signing import SigningKeyRepository, load_active, sign
from medrec_shared.auth import Principal, require_scope
from medrec_shared.db import Repository
from medrec_shared.problems import NotFound, Problem

KNOWN_SCOPES = frozenset(
    {
        "transfer:write",
        "records:read",
        "issuance:write",
        "admin",
        "content:read",
        "catalog:read",
        "metadata:read",
    }
)
INSTITUTION_CODE = r"^\d{8}$"
router = APIRouter(tags=["clients"])


class InvalidClient(Problem):
    status, type, title = 401, "invalid-client", "Client authentication failed"


class InvalidGrant(Problem):
    status, type, title = 400, "invalid-grant", "The grant is not valid"


class ClientRepository(Repository):
    async def get(self, client_id: str) -> ApiClient | None:
        return await self.session.get(ApiClient, client_id)

    async def active(self) -> list[ApiClient]:
        rows = await self.session.execute(
            select(ApiClient).where(ApiClient.revoked_at.is_(None)).order_by(ApiClient.created_at)
        )
        return list(rows.scalars())

    async def add(self, client: ApiClient) -> None:
        self.session.add(client)
        await self.session.flush()


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


def new_client(
    name: str, codes: list[str], scopes: list[str], client_id: str, secret: str
) -> ApiClient:
    digest, salt = hash_secret(secret)
    return ApiClient(
        client_id=client_id,
        name=name,
        secret_hash=digest,
        secret_salt=salt,
        institution_codes=codes,
        scopes=scopes,
    )


def rotate_secret(client: ApiClient, secret: str) -> bool:
    """Gives `client` this secret unless it has it already; True when it changed."""
    if secret_matches(secret, client.secret_hash, client.secret_salt):
        return False
    client.secret_hash, client.secret_salt = hash_secret(secret)
    return True


def _out(client: ApiClient) -> dict[str, object]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "institution_codes": client.institution_codes,
        "scopes": client.scopes,
        "created_at": client.created_at,
    }


Admin = Annotated[Principal, require_scope("admin")]


@router.post("/v1/clients", status_code=201, response_model=ClientCreated)
async def register_client(body: ClientIn, session: Session, _: Admin) -> dict[str, object]:
    secret = new_secret()
    client = new_client(
        body.name, body.institution_codes, body.scopes, "c_" + secrets.token_hex(8), secret
    )
    await ClientRepository(session).add(client)
    await session.refresh(client)
    return {**_out(client), "client_secret": secret}


@router.get("/v1/clients", response_model=dict[str, list[ClientOut]])
async def list_clients(session: Session, _: Admin) -> dict[str, object]:
    return {"items": [_out(c) for c in await ClientRepository(session).active()]}


@router.delete("/v1/clients/{client_id}", status_code=204)
async def revoke_client(client_id: str, session: Session, _: Admin) -> None:
    client = await ClientRepository(session).get(client_id)
    if client is None or client.revoked_at is not None:
        raise NotFound("No such client.")
    client.revoked_at = datetime.now(UTC)


def _basic_credentials(request: Request) -> tuple[str, str]:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClient("Authenticate the client with HTTP Basic.")
    try:
        client_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClient("Malformed Basic credentials.") from exc
    return client_id, secret


@router.post("/oauth/token", response_model=TokenOut)
async def token(
    request: Request,
    session: Session,
    settings: Settings,
    keyring: FieldKeyring,
    grant_type: Annotated[str, Form()],
    scope: Annotated[str | None, Form()] = None,
) -> TokenOut:
    if grant_type != "client_credentials":
        raise InvalidGrant("Only grant_type=client_credentials is supported here.")
    client_id, secret = _basic_credentials(request)
    client = await ClientRepository(session).get(client_id)
    if (
        client is None
        or client.revoked_at is not None
        or not secret_matches(secret, client.secret_hash, client.secret_salt)
    ):
        raise InvalidClient("Unknown client or wrong secret.")
    granted = set(client.scopes)
    if scope:
        asked = set(scope.split())
        if not asked <= granted:
            raise InvalidGrant("The client may not ask for these scopes.")
        granted = asked
    key = await SigningKeyRepository(session).active()
    assert key is not None, "a signing key is created at start-up"
    access_token = sign(
        load_active(key, keyring),
        {
            "sub": client.client_id,
            "client_id": client.client_id,
            "scope": " ".join(sorted(granted)),
            "institution_codes": client.institution_codes,
        },
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=settings.client_token_ttl_seconds,
    )
    return TokenOut(
        access_token=access_token,
        expires_in=settings.client_token_ttl_seconds,
        scope=" ".join(sorted(granted)),
    )
