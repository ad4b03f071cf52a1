"""medrec-ingest-keys: rotate ingest's content key-encryption keys (KEKs) with no downtime.

A rotation: `add` a key, `activate` it (running services re-read the keyring file, new content
uses it), `rewrap` every record's keys to it, check `status`, `retire` the old key. The keyring
file is MEDREC_INGEST_CONTENT_KEYS_FILE or --file; rewrap, status and retire also read the
database (MEDREC_INGEST_DATABASE_URL). Nothing here prints key material.
"""

import asyncio
import json
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from medrec_ingest.keys import keyfile
from medrec_ingest.keys.keyfile import KeyringFile
from medrec_ingest.keys.repository import KeyUse
from medrec_ingest.keys.rotation import BATCH_SIZE, RewrapReport, references, rewrap_records
from medrec_ingest.settings import ContentKeySettings
from medrec_shared.platform.commands import fail
from medrec_shared.platform.crypto import KEY_SIZE, CryptoError, Keyring, parse_key_spec
from medrec_shared.platform.db import Database, Transactions

PREFIX = "MEDREC_INGEST_"
T = TypeVar("T")

# Markdown: docstring lines wrapped in the source are joined in the help.
app = typer.Typer(
    add_completion=False, no_args_is_help=True, help=__doc__, rich_markup_mode="markdown"
)

FileOption = Annotated[
    Path | None,
    typer.Option("--file", envvar=PREFIX + "CONTENT_KEYS_FILE", help="the keyring file"),
]


class CommandSettings(ContentKeySettings):
    """All the command needs: the database and the keyring."""

    database_url: str


def _file(file: Path | None) -> Path:
    if file is None:
        fail(f"no keyring file: set {PREFIX}CONTENT_KEYS_FILE or pass --file")
    return file


def _read(file: Path | None) -> tuple[Path, KeyringFile]:
    path = _file(file)
    try:
        return path, keyfile.read(path)
    except (OSError, CryptoError) as error:
        fail(f"cannot read the keyring file {path}: {error}")


def _settings(file: Path | None) -> CommandSettings:
    # pydantic-settings reads the rest from the environment.
    return CommandSettings(content_keys_file=file) if file else CommandSettings()


def _with_database(settings: CommandSettings, job: Callable[[Transactions], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(settings.database_url, pool_size=1)
        try:
            return await job(Transactions.of(db))
        finally:
            await db.dispose()

    return asyncio.run(run())


@app.command()
def init(file: FileOption = None) -> None:
    """Create the keyring file: with the keys of MEDREC_INGEST_CONTENT_KEYS and its active id
    when they are set (moving a deployment from that setting to the file), else one new key."""
    path = _file(file)
    spec, active = (
        os.environ.get(PREFIX + "CONTENT_KEYS"),
        os.environ.get(PREFIX + "CONTENT_KEY_ACTIVE"),
    )
    try:
        if spec and active:
            keyring = KeyringFile(active, parse_key_spec(spec))
        else:
            kek_id = _new_id()
            keyring = KeyringFile(kek_id, {kek_id: secrets.token_bytes(KEY_SIZE)})
        keyfile.write(path, keyring, create=True)
    except FileExistsError:
        fail(f"{path} exists already")
    except CryptoError as error:
        fail(f"refused: {error}")
    typer.echo(f"wrote {path}: keys {', '.join(keyring.keys)}, active {keyring.active}")


def _new_id() -> str:
    return f"kek-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(2)}"


@app.command()
def add(
    kek_id: Annotated[str | None, typer.Argument(help="default: kek-<date>-<random>")] = None,
    file: FileOption = None,
) -> None:
    """Generate a new 32-byte KEK into the keyring file; it is not active yet."""
    path, keyring = _read(file)
    kek_id = kek_id or _new_id()
    if kek_id in keyring.keys:
        fail(f"{kek_id} is in the keyring already")
    try:
        keys = keyring.keys | {kek_id: secrets.token_bytes(KEY_SIZE)}
        keyfile.write(path, replace(keyring, keys=keys))
    except CryptoError as error:
        fail(f"refused: {error}")
    typer.echo(f"added {kek_id} (not active); once every service reads this file: activate it")


@app.command()
def activate(kek_id: str, file: FileOption = None) -> None:
    """Make a KEK of the file the one new content is wrapped with."""
    path, keyring = _read(file)
    if kek_id not in keyring.keys:
        fail(f"{kek_id} is not in the keyring file: add it first")
    if keyring.active != kek_id:
        keyfile.write(path, replace(keyring, active=kek_id))
    typer.echo(
        f"{kek_id} is active. Services re-read the file within seconds of seeing it change; "
        "once they have and their requests in flight are done, run rewrap"
    )


@app.command()
def rewrap(
    file: FileOption = None,
    batch_size: Annotated[int, typer.Option(min=1, help="rows per transaction")] = BATCH_SIZE,
) -> None:
    """Move every record's data key and sealed patient field to the active KEK (content is not
    touched). Safe to stop and to run again; exits non-zero while records remain."""
    settings = _settings(file)
    keyring = settings.keyring()

    async def job(transactions: Transactions) -> RewrapReport:
        return await rewrap_records(transactions, keyring, batch_size=batch_size)

    report = _with_database(settings, job)
    typer.echo(
        f"moved to {report.active}: {report.data_keys} data keys, "
        f"{report.patient_fields} patient fields"
    )
    if report.unreadable:
        typer.echo(
            f"{report.unreadable} records have a key that does not unwrap (its KEK is unknown "
            "to this keyring, or the key is damaged): see status",
            err=True,
        )
    if not report.complete:
        again = ": run rewrap again" if report.remaining > report.unreadable else ""
        fail(f"{report.remaining} records still depend on other KEKs{again}")


def _state(kek_id: str, keyring: Keyring) -> str:
    if kek_id == keyring.active_kek_id:
        return "active"
    return "standby" if kek_id in keyring.kek_ids() else "MISSING"


@app.command()
def status(
    file: FileOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False,
) -> None:
    """Records depending on each KEK: their content's data key, their sealed patient field.
    Exits 2 when records depend on a KEK the keyring does not have."""
    settings = _settings(file)
    keyring = settings.keyring()
    uses = _with_database(settings, references)
    ids = keyring.kek_ids() + sorted(set(uses) - set(keyring.kek_ids()))
    rows = [(kek_id, _state(kek_id, keyring), uses.get(kek_id, KeyUse())) for kek_id in ids]
    if as_json:
        keys = {k: {"state": s, "data_keys": u.data_keys, "patient_fields": u.patient_fields}
                for k, s, u in rows}  # fmt: skip
        typer.echo(json.dumps({"active": keyring.active_kek_id, "keys": keys}))
    else:
        typer.echo(f"{'KEK':<24} {'state':<8} {'data keys':>10} {'patient fields':>15}")
        for kek_id, state, use in rows:
            typer.echo(f"{kek_id:<24} {state:<8} {use.data_keys:>10} {use.patient_fields:>15}")
    if any(state == "MISSING" for _, state, _ in rows):
        fail("records depend on a KEK the keyring does not have: they cannot be read", 2)


@app.command()
def retire(kek_id: str, file: FileOption = None) -> None:
    """Remove a KEK from the keyring file; refused while it is active or any record depends
    on it."""
    path, keyring = _read(file)
    if kek_id not in keyring.keys:
        fail(f"{kek_id} is not in the keyring file")
    if kek_id == keyring.active:
        fail(f"refused: {kek_id} is the active KEK; activate another one and rewrap first")
    use = _with_database(_settings(file), references).get(kek_id, KeyUse())
    if use.data_keys or use.patient_fields:
        fail(
            f"refused: {use.data_keys} data keys and {use.patient_fields} patient fields still "
            f"depend on {kek_id}; run rewrap (and status) first"
        )
    path, keyring = _read(path)  # as it is now, not as it was before the database was asked
    if kek_id == keyring.active:
        fail(f"refused: {kek_id} was activated meanwhile")
    keys = {k: v for k, v in keyring.keys.items() if k != kek_id}
    keyfile.write(path, replace(keyring, keys=keys))
    typer.echo(f"retired {kek_id}: removed from {path}")
