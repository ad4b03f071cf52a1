"""medrec-identity-signing-keys: rotate identity's token signing keys, and retire the old ones.

Run at night: `rotate` (new tokens are signed with a new key; the previous ones stay in the
JWKS, so tokens already issued still verify), later `retire` (the keys that stopped signing
longer ago than the longest token lifetime leave the JWKS; never the active one). `list` shows
the keys. A key that leaked: `rotate --force`, then `retire --kid KID --now` takes it out of
the JWKS at once (services refuse its tokens within their JWKS cache time). Each is safe to
run twice. It takes identity's settings (MEDREC_IDENTITY_*: the database, the field keyring,
the token lifetimes) and prints no key material or tokens.

Exit status: 0 done (or nothing to do), 1 refused or failed (the message says why), 2 usage.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer
from sqlalchemy.exc import SQLAlchemyError

from medrec_identity.commands import identity_settings
from medrec_identity.settings import IdentitySettings
from medrec_identity.signing_keys import rotation
from medrec_identity.signing_keys.rotation import (
    ActiveKeyNotRetired,
    KeyView,
    NoActiveKey,
    NoSuchKey,
)
from medrec_shared.platform.clock import Clock, build_clock
from medrec_shared.platform.commands import fail
from medrec_shared.platform.crypto import CryptoError, LocalKeyring
from medrec_shared.platform.db import Database, Transactions

T = TypeVar("T")

# Markdown: docstring lines wrapped in the source are joined in the help.
app = typer.Typer(
    add_completion=False, no_args_is_help=True, help=__doc__, rich_markup_mode="markdown"
)


def _run(settings: IdentitySettings, job: Callable[[Transactions, Clock], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(settings.database_url, pool_size=1)
        try:
            return await job(Transactions.of(db), build_clock(settings.clock_file))
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except NoActiveKey:
        fail("refused: no active signing key (identity has never started on this database)")
    except ActiveKeyNotRetired as refused:
        fail(
            f"refused: {refused} is the active key, it signs new tokens; run `rotate --force` "
            "first, then retire it"
        )
    except NoSuchKey as unknown:
        fail(f"refused: no signing key has the kid {unknown} (`list` shows them)")
    except (SQLAlchemyError, OSError) as error:
        # The type only: a driver's message may carry the database URL.
        fail(f"cannot use identity's database: {type(error).__name__}")


def _when(instant: datetime | None) -> str:
    return f"{instant.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z" if instant else "-"


@app.command()
def rotate(
    force: Annotated[
        bool, typer.Option("--force", help="rotate even when the active key is young")
    ] = False,
) -> None:
    """Sign new tokens with a new key; the previous keys stay published. Keeps an active key
    younger than the longest token lifetime and a minute (rotating sooner would only pile up
    published keys) unless --force: for a key you no longer trust."""
    settings = identity_settings()
    try:
        keyring = LocalKeyring.from_spec(
            settings.field_keys.get_secret_value(), settings.field_key_active
        )
    except CryptoError as error:
        fail(f"the field keyring (MEDREC_IDENTITY_FIELD_KEYS) is not usable: {error}")

    async def job(transactions: Transactions, clock: Clock) -> rotation.Rotated:
        return await rotation.rotate(transactions, keyring, clock, settings, force=force)

    done = _run(settings, job)
    if not done.created:
        typer.echo(
            f"kept {done.active}: active since {_when(done.active_since)}, younger than the "
            f"longest token lifetime; nothing changed (--force rotates anyway)"
        )
        return
    previous = ", ".join(done.deactivated) or "none"
    typer.echo(
        f"rotated: new tokens are signed with {done.active}; still published: {previous}, "
        f"until retire after {_when(done.retires_at)}"
    )


@app.command()
def retire(
    kid: Annotated[
        str | None,
        typer.Option("--kid", help="with --now: this key, whether or not its tokens expired"),
    ] = None,
    now: Annotated[
        bool, typer.Option("--now", help="with --kid: retire it now, for a key that leaked")
    ] = False,
) -> None:
    """Take out of the JWKS the keys that stopped signing longer ago than the longest token
    lifetime (and a minute); never the active key. Services stop trusting them within their
    JWKS cache time (jwks_cache_seconds). `--kid KID --now`: that one key at once, its tokens
    refused from then on although they have not expired (after `rotate --force`, for a key
    that leaked; never the active key)."""
    if (kid is None) != (not now):
        fail("--kid and --now go together: `retire --kid KID --now`", code=2)
    settings = identity_settings()
    if kid is not None:
        _retire_now(settings, kid)
        return

    async def job(transactions: Transactions, clock: Clock) -> rotation.Retired:
        return await rotation.retire(transactions, clock, settings)

    done = _run(settings, job)
    published = [k for k in done.keys if k.state is not rotation.KeyState.retired]
    waiting = [f"{k.kid} after {_when(k.retires_at)}" for k in published if k.retires_at]
    later = f"; due later: {', '.join(waiting)}" if waiting else ""
    if done.retired:
        typer.echo(f"retired {', '.join(done.retired)}: no longer in the JWKS{later}")
    else:
        typer.echo(f"nothing to retire{later}")


def _retire_now(settings: IdentitySettings, kid: str) -> None:
    async def job(transactions: Transactions, clock: Clock) -> rotation.RetiredNow:
        return await rotation.retire_now(transactions, clock, kid)

    done = _run(settings, job)
    if done.already:
        typer.echo(f"{kid} was retired already: not in the JWKS; nothing changed")
    else:
        typer.echo(
            f"retired {kid} now: no longer in the JWKS; services refuse its tokens within their "
            f"JWKS cache time"
        )


@app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False,
) -> None:
    """Every key: kid, created, state (active / published / retired) and since when."""
    settings = identity_settings()

    async def job(transactions: Transactions, _clock: Clock) -> list[KeyView]:
        return await rotation.list_keys(transactions, settings)

    keys = _run(settings, job)
    if as_json:
        document = [
            {
                "kid": k.kid,
                "created_at": k.created_at.isoformat(),
                "state": k.state.value,
                "deactivated_at": k.deactivated_at.isoformat() if k.deactivated_at else None,
                "retired_at": k.retired_at.isoformat() if k.retired_at else None,
                "retires_at": k.retires_at.isoformat() if k.retires_at else None,
            }
            for k in keys
        ]
        typer.echo(json.dumps({"keys": document}))
        return
    typer.echo(f"{'kid':<32} {'created':<20} {'state':<9} {'since':<20} {'retire after':<20}")
    for k in keys:
        since = k.retired_at or k.deactivated_at or k.created_at
        typer.echo(
            f"{k.kid:<32} {_when(k.created_at):<20} {k.state.value:<9} {_when(since):<20} "
            f"{_when(k.retires_at):<20}"
        )
