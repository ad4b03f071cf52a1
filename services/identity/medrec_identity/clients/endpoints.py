"""API clients (institutions, EMR vendors, services, operators) and the OAuth2 token endpoint."""

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Form, Request

from medrec_identity.clients import service
from medrec_identity.clients.repository import ClientRepository
from medrec_identity.clients.schemas import ClientCreated, ClientIn, ClientOut, TokenOut
from medrec_identity.clients.service import InvalidClient, InvalidGrant
from medrec_identity.deps import AppClock, FieldKeyring, Session, Settings
from medrec_identity.models import ApiClient
from medrec_shared.auth import Principal, require_scope

router = APIRouter(tags=["clients"])


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
    client, secret = await service.register(session, body.name, body.institution_codes, body.scopes)
    return {**_out(client), "client_secret": secret}


@router.get("/v1/clients", response_model=dict[str, list[ClientOut]])
async def list_clients(session: Session, _: Admin) -> dict[str, object]:
    return {"items": [_out(c) for c in await ClientRepository(session).active()]}


@router.delete("/v1/clients/{client_id}", status_code=204)
async def revoke_client(client_id: str, session: Session, _: Admin, clock: AppClock) -> None:
    await service.revoke(session, client_id, clock.now())


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
    access_token, granted = await service.client_token(
        session, keyring, settings, client_id, secret, scope
    )
    return TokenOut(
        access_token=access_token,
        expires_in=settings.client_token_ttl_seconds,
        scope=" ".join(sorted(granted)),
    )
