"""API clients (institutions, EMR vendors, services, operators) and the OAuth2 token endpoint."""

import base64
import binascii
from typing import Annotated
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from medrec_identity.clients import service
from medrec_identity.clients.limits import TokenLimits
from medrec_identity.clients.oauth import (
    NO_STORE,
    OAUTH_ERROR_RESPONSES,
    TOKEN_PATH,
    InvalidClient,
    InvalidRequest,
    UnsupportedGrantType,
)
from medrec_identity.clients.repository import ClientRepository
from medrec_identity.clients.schemas import ClientCreated, ClientIn, ClientOut, TokenOut
from medrec_identity.deps import (
    AppClock,
    FieldKeyring,
    Keys,
    Session,
    Settings,
    TokenLimiter,
    client_address,
)
from medrec_identity.models import ApiClient
from medrec_shared.platform.auth import Principal, require_scope
from medrec_shared.platform.messaging import announce
from medrec_shared.rules.audit import staff_acted
from medrec_shared.rules.staff import CLIENTS_MANAGE

router = APIRouter(tags=["clients"])


def _out(client: ApiClient) -> dict[str, object]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "institution_codes": client.institution_codes,
        "scopes": client.scopes,
        "created_at": client.created_at,
        "registered_by": client.registered_by,
    }


Manager = Annotated[Principal, require_scope(CLIENTS_MANAGE)]


@router.post("/v1/clients", status_code=201, response_model=ClientCreated)
async def register_client(
    body: ClientIn, session: Session, actor: Manager, clock: AppClock, settings: Settings
) -> dict[str, object]:
    """A new client (its secret shown once); announced as a StaffActed naming who did it."""
    client, secret = await service.register(
        session,
        body.name,
        codes=body.institution_codes,
        scopes=body.scopes,
        now=clock.now(),
        registered_by=actor.accountable,
    )
    _acted(session, settings.topic_audit, actor, "client.register", client.client_id)
    return {**_out(client), "client_secret": secret}


@router.get("/v1/clients", response_model=dict[str, list[ClientOut]])
async def list_clients(session: Session, _: Manager) -> dict[str, object]:
    return {"items": [_out(c) for c in await ClientRepository(session).active()]}


@router.delete("/v1/clients/{client_id}", status_code=204)
async def revoke_client(
    client_id: str, session: Session, actor: Manager, clock: AppClock, settings: Settings
) -> None:
    await service.revoke(session, client_id, clock.now())
    _acted(session, settings.topic_audit, actor, "client.revoke", client_id)


def _acted(session: AsyncSession, topic: str, actor: Principal, act: str, client_id: str) -> None:
    event = staff_acted(actor, act, "api_client", client_id)
    announce(session, topic, event.actor, event)


def _basic_credentials(request: Request) -> tuple[str, str]:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClient("Authenticate the client with HTTP Basic.")
    try:
        raw = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClient("Malformed Basic credentials.") from exc
    client_id, _, secret = raw.partition(":")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before the Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)


async def _token_form(request: Request) -> dict[str, str]:
    """The form's parameters, each at most once (RFC 6749 §3.2)."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise InvalidRequest("Send the parameters as application/x-www-form-urlencoded.")
    try:
        pairs = parse_qsl(
            (await request.body()).decode(), keep_blank_values=True, max_num_fields=_MAX_FIELDS
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest("The form is malformed.") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise InvalidRequest(f"The parameter {name} is repeated.")
        form[name] = value
    return form


_MAX_FIELDS = 10
_TOKEN_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "scope": {"type": "string", "description": "space-separated scopes"},
                    },
                }
            }
        },
    }
}


@router.post(
    TOKEN_PATH,
    response_model=TokenOut,
    responses=OAUTH_ERROR_RESPONSES,
    openapi_extra=_TOKEN_FORM,
    summary="OAuth 2.0 client credentials grant (HTTP Basic client authentication)",
)
async def token(
    request: Request,
    response: Response,
    session: Session,
    settings: Settings,
    keyring: FieldKeyring,
    keys: Keys,
    limiter: TokenLimiter,
) -> TokenOut:
    form = await _token_form(request)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise InvalidRequest("grant_type is required.")
    if grant_type != "client_credentials":
        raise UnsupportedGrantType("Only grant_type=client_credentials is supported here.")
    client_id, secret = _basic_credentials(request)
    limits = TokenLimits.of(settings, keys, client_id, client_address(request))
    await limits.take(limiter)
    try:
        access_token, granted = await service.client_token(
            session,
            keyring=keyring,
            settings=settings,
            client_id=client_id,
            secret=secret,
            scope=form.get("scope") or None,
        )
    except InvalidClient:
        await limiter.count(limits.failures)
        raise
    response.headers.update(NO_STORE)
    return TokenOut(
        access_token=access_token,
        expires_in=settings.client_token_ttl_seconds,
        scope=" ".join(sorted(granted)),
    )
