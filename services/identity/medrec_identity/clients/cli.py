"""medrec-identity-service-clients: provision the clients of medrec's own services (catalog,
issuance) with the service scopes (content:read, catalog:read, metadata:read, demographics:read,
names:read, document-facts:read, contact:read, person-keys:read).

Those scopes read any person's records, owners, demographics or phone, so `POST /v1/clients` refuses
them: they are given only by whoever deploys medrec and can run this next to identity's
database (the local stack does it on its first start). `register` prints the new client's id and
secret as JSON, once (only a hash is kept); store them in the service's Secret. Revoke a client
with `DELETE /v1/clients/{id}` as for any other. It takes identity's settings (MEDREC_IDENTITY_*).

Exit status: 0 done, 1 failed (the message says why), 2 usage.
"""

import asyncio
import json
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from medrec_identity.clients import service
from medrec_identity.clients.schemas import SERVICE_SCOPES
from medrec_identity.commands import identity_settings
from medrec_identity.settings import IdentitySettings
from medrec_shared.platform.clock import build_clock
from medrec_shared.platform.commands import fail
from medrec_shared.platform.db import Database, Transactions

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help=__doc__, rich_markup_mode="markdown"
)


async def _register(settings: IdentitySettings, name: str, scopes: list[str]) -> tuple[str, str]:
    db = Database(settings.database_url, pool_size=1)
    try:
        async with Transactions.of(db).begin() as session:
            now = build_clock(settings.clock_file).now()
            client, secret = await service.register(session, name, codes=[], scopes=scopes, now=now)
            return client.client_id, secret
    finally:
        await db.dispose()


@app.command()
def register(
    name: Annotated[str, typer.Option("--name", help="e.g. medrec-catalog")],
    scopes: Annotated[list[str], typer.Option("--scope", help="a service scope; repeat")],
) -> None:
    """A new service client with these service scopes; prints {client_id, client_secret}."""
    unknown = set(scopes) - SERVICE_SCOPES
    if unknown or not scopes or not 1 <= len(name) <= 200:
        fail(f"--scope takes only service scopes ({', '.join(sorted(SERVICE_SCOPES))})", 2)
    try:
        client_id, secret = asyncio.run(_register(identity_settings(), name, sorted(set(scopes))))
    except (SQLAlchemyError, OSError) as error:
        # The type only: a driver's message may carry the database URL.
        fail(f"cannot use identity's database: {type(error).__name__}")
    typer.echo(json.dumps({"client_id": client_id, "client_secret": secret}))


@app.callback()
def _commands() -> None:
    """Keeps `register` a subcommand (a Typer app of one command would run it bare)."""
