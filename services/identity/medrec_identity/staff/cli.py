"""`medrec-identity staff`: staff accounts from next to identity's database, for whoever deploys
medrec (the first platform account, before anyone can sign in to make others) and for the local
stack.

`create` makes an account and prints `login=… password=… totp=…` on one line, once (the
password is changed at the first sign-in; the TOTP URI goes into an authenticator app). It is
announced on the audit trail as done by `medrec-identity-cli`. `token` prints an access token
for an account without signing in: refused unless identity runs in sandbox mode (the local
stack, tests). Both take identity's settings (MEDREC_IDENTITY_*).

Exit status: 0 done, 1 refused or failed (the message says why), 2 usage.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from sqlalchemy.exc import SQLAlchemyError

from medrec_identity.commands import identity_settings
from medrec_identity.models import messaging
from medrec_identity.settings import IdentitySettings
from medrec_identity.staff import service
from medrec_identity.staff.repository import StaffRepository
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.clock import Clock, build_clock
from medrec_shared.platform.commands import fail
from medrec_shared.platform.crypto import CryptoError, Keyring, LocalKeyring
from medrec_shared.platform.db import Database, Transactions
from medrec_shared.platform.messaging import Outbox
from medrec_shared.platform.problems import Problem
from medrec_shared.rules.topics import EVENT_RULES

T = TypeVar("T")
CLI_ACTOR = Principal(
    subject="medrec-identity-cli", scopes=frozenset(), client_id="medrec-identity-cli"
)

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help=__doc__, rich_markup_mode="markdown"
)


def _keyring(settings: IdentitySettings) -> Keyring:
    try:
        return LocalKeyring.from_spec(
            settings.field_keys.get_secret_value(), settings.field_key_active
        )
    except CryptoError as error:
        fail(f"the field keyring (MEDREC_IDENTITY_FIELD_KEYS) is not usable: {error}")


def _run(settings: IdentitySettings, job: Callable[[Transactions, Clock], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(settings.database_url, pool_size=1)
        outbox = Outbox(messaging.outbox, "identity", rules=EVENT_RULES)
        try:
            return await job(Transactions.of(db, outbox), build_clock(settings.clock_file))
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except Problem as refused:
        errors = "; ".join(f"{e['field']}: {e['message']}" for e in refused.errors or [])
        fail(f"refused: {refused.detail}{' (' + errors + ')' if errors else ''}")
    except (SQLAlchemyError, OSError) as error:
        # The type only: a driver's message may carry the database URL.
        fail(f"cannot use identity's database: {type(error).__name__}")


@app.command()
def create(
    login: Annotated[str, typer.Option("--login", help="e.g. kim.platform")],
    name: Annotated[str, typer.Option("--name", help="the person's name")],
    organisation: Annotated[
        str, typer.Option("--organisation", help="khis, or hc:<region code> for a health centre")
    ],
    roles: Annotated[
        list[str],
        typer.Option("--role", help="reviewer, health_centre, platform or auditor; repeat"),
    ],
    region: Annotated[
        str | None, typer.Option("--region", help="a health centre's region code (e.g. 11)")
    ] = None,
) -> None:
    """A new staff account; prints `login=… password=… totp=…` once."""
    settings = identity_settings()
    keyring = _keyring(settings)

    async def job(transactions: Transactions, clock: Clock) -> service.NewAccount:
        async with transactions.begin() as session:
            return await service.create_account(
                session,
                keyring,
                actor=CLI_ACTOR,
                login=login,
                name=name,
                organisation=organisation,
                roles=roles,
                region=region,
                now=clock.now(),
                topic=settings.topic_audit,
            )

    made = _run(settings, job)
    typer.echo(f"login={made.account.login} password={made.password} totp={made.totp_uri}")


@app.command()
def token(login: Annotated[str, typer.Option("--login")]) -> None:
    """An access token for the account, without signing in (sandbox only)."""
    settings = identity_settings()
    if not settings.sandbox:
        fail("refused: `staff token` is for sandbox mode only (MEDREC_IDENTITY_SANDBOX=true)")
    keyring = _keyring(settings)

    async def job(transactions: Transactions, clock: Clock) -> str | None:
        async with transactions.begin() as session:
            account = await StaffRepository(session).by_login(login)
            if account is None or account.status != service.ACTIVE:
                return None
            return await service.access_token(session, keyring, settings, account)

    access_token = _run(settings, job)
    if access_token is None:
        fail(f"refused: no active staff account {login!r}")
    typer.echo(access_token)


@app.callback()
def _commands() -> None:
    """Keeps the commands subcommands."""
