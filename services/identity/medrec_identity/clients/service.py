"""The rules for API clients (institutions, EMR vendors, services, operators): a secret is shown
once and kept only as a salted hash; a revoked client gets no token; a client gets at most the
scopes it was registered with; the operator client is the one whose secret is configured, and
changing that configured secret is how it is rotated. Nothing here commits."""

import asyncio
import functools
import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_identity.clients.oauth import InvalidClient, InvalidScope
from medrec_identity.clients.repository import ClientRepository
from medrec_identity.clients.secrets import check_secret, hash_secret, new_secret, secret_matches
from medrec_identity.models import ApiClient
from medrec_identity.settings import IdentitySettings
from medrec_identity.signing_keys.service import sign_with_active_key
from medrec_shared.platform.crypto import Keyring
from medrec_shared.platform.problems import NotFound
from medrec_shared.rules.staff import MACHINE_SCOPES


class OperatorClient(StrEnum):
    """What the start-up did to the operator client."""

    created = "created"
    rotated = "rotated"
    kept = "kept"


def new_client(
    name: str,
    *,
    codes: list[str],
    scopes: list[str],
    client_id: str,
    secret: str,
    created_at: datetime,
) -> ApiClient:
    digest, salt = hash_secret(secret)
    return ApiClient(
        client_id=client_id,
        name=name,
        secret_hash=digest,
        secret_salt=salt,
        institution_codes=codes,
        scopes=scopes,
        created_at=created_at,
    )


def rotate_secret(client: ApiClient, secret: str) -> bool:
    """Gives `client` this secret unless it has it already; True when it changed."""
    if secret_matches(secret, client.secret_hash, client.secret_salt):
        return False
    client.secret_hash, client.secret_salt = hash_secret(secret)
    return True


async def register(
    session: AsyncSession,
    name: str,
    *,
    codes: list[str],
    scopes: list[str],
    now: datetime,
    registered_by: str | None = None,
) -> tuple[ApiClient, str]:
    """A new client and its secret (the only time the secret is known)."""
    secret = new_secret()
    client_id = "c_" + secrets.token_hex(8)
    client = await asyncio.to_thread(
        functools.partial(
            new_client,
            name,
            codes=codes,
            scopes=scopes,
            client_id=client_id,
            secret=secret,
            created_at=now,
        )
    )
    client.registered_by = registered_by[:200] if registered_by else None
    await ClientRepository(session).add(client)
    await session.refresh(client)
    return client, secret


async def revoke(session: AsyncSession, client_id: str, now: datetime) -> None:
    client = await ClientRepository(session).get(client_id)
    if client is None or client.revoked_at is not None:
        raise NotFound("No such client.")
    client.revoked_at = now


async def ensure_operator(
    session: AsyncSession, client_id: str, secret: str, *, now: datetime
) -> OperatorClient:
    """The machine account (the operator client of before #27) with the configured secret:
    created on first start, its secret rotated when the configured one changed. It holds the
    machine scopes, exactly (medrec_shared.rules.staff.MACHINE_SCOPES): never `admin`, never a
    decision that needs a person."""
    clients = ClientRepository(session)
    operator = await clients.get(client_id)
    machine = sorted(MACHINE_SCOPES)
    if operator is None:
        operator = new_client(
            "machine account",
            codes=[],
            scopes=machine,
            client_id=client_id,
            secret=secret,
            created_at=now,
        )
        await clients.add(operator)
        return OperatorClient.created
    if sorted(operator.scopes) != machine:
        operator.scopes = machine
    return OperatorClient.rotated if rotate_secret(operator, secret) else OperatorClient.kept


async def authenticated(client: ApiClient | None, secret: str) -> ApiClient:
    """The client, if it exists, is not revoked and `secret` is its secret. The secret is
    checked in every case (against a dummy for an unknown client), so the answer takes as long
    whichever of the three it is."""
    matches = await check_secret(
        secret,
        client.secret_hash if client is not None else None,
        client.secret_salt if client is not None else None,
    )
    if client is None or client.revoked_at is not None or not matches:
        raise InvalidClient("Unknown client or wrong secret.")
    return client


def granted_scopes(client: ApiClient, asked: str | None) -> set[str]:
    """The scopes asked for (all the client's when none are), never more than it has."""
    granted = set(client.scopes)
    if asked:
        wanted = set(asked.split())
        if not wanted <= granted:
            raise InvalidScope("The client may not ask for these scopes.")
        granted = wanted
    return granted


async def client_token(
    session: AsyncSession,
    *,
    keyring: Keyring,
    settings: IdentitySettings,
    client_id: str,
    secret: str,
    scope: str | None,
) -> tuple[str, set[str]]:
    """A client-credentials access token and the scopes it carries."""
    client = await authenticated(await ClientRepository(session).get(client_id), secret)
    granted = granted_scopes(client, scope)
    access_token = await sign_with_active_key(
        session,
        keyring=keyring,
        claims={
            "sub": client.client_id,
            "client_id": client.client_id,
            "scope": " ".join(sorted(granted)),
            "institution_codes": client.institution_codes,
        },
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=settings.client_token_ttl_seconds,
    )
    return access_token, granted
