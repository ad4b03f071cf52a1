"""medrec-ingest-linkage: linkage jobs an operator runs in ingest.

`backfill` gives a match key to every record deposited without an RRN before ingest computed
match keys, and announces it, so catalog proposes the record to the persons it matches. It reads
the service's settings (MEDREC_INGEST_DATABASE_URL, MEDREC_INGEST_PERSON_INDEX_KEY, the content
keys); it prints counts only, never a name, a birth date or an RRN.
"""

import asyncio
from typing import Annotated

import typer
from pydantic import SecretStr

from medrec_ingest.linkage.backfill import BATCH_SIZE, BackfillReport, backfill_match_keys
from medrec_ingest.models import messaging
from medrec_ingest.settings import ContentKeySettings
from medrec_shared.platform.commands import settings_or_exit
from medrec_shared.platform.db import Database, Transactions
from medrec_shared.platform.messaging import Outbox
from medrec_shared.rules.topics import EVENT_RULES

PREFIX = "MEDREC_INGEST_"

# Markdown: docstring lines wrapped in the source are joined in the help.
app = typer.Typer(
    add_completion=False, no_args_is_help=True, help=__doc__, rich_markup_mode="markdown"
)


class CommandSettings(ContentKeySettings):
    """All the command needs: the database, the content keys that open patient fields, the
    person-index secret the match key is derived from, and the record topic."""

    database_url: str
    person_index_key: SecretStr
    topic_record: str = "medrec.record.v1"


@app.callback()
def main() -> None:
    """Linkage jobs in ingest."""


@app.command()
def backfill(
    batch_size: Annotated[
        int, typer.Option("--batch-size", "--batch", min=1, help="records per transaction")
    ] = BATCH_SIZE,
) -> None:
    """Give every held record deposited without an RRN, and without a match key, its match key,
    and announce it to catalog (RecordMatchKeyAssigned). Safe to stop and to run again: a
    second run finds nothing. Exits non-zero while records remain."""
    settings = settings_or_exit(CommandSettings, PREFIX)
    keyring = settings.keyring()
    index_key = settings.person_index_key.get_secret_value().encode()

    async def run() -> BackfillReport:
        db = Database(settings.database_url, pool_size=1)
        try:
            return await backfill_match_keys(
                Transactions.of(db, Outbox(messaging.outbox, "ingest", rules=EVENT_RULES)),
                topic=settings.topic_record,
                keyring=keyring,
                person_index_key=index_key,
                batch_size=batch_size,
            )
        finally:
            await db.dispose()

    report = asyncio.run(run())
    typer.echo(
        f"match keys given: {report.keyed} ({report.announced} announced to catalog, "
        f"{report.keyed - report.announced} awaiting their content); "
        f"unreadable: {report.unreadable}; remaining: {report.remaining}"
    )
    if report.unreadable:
        typer.echo(
            f"{report.unreadable} records have a patient field that does not open (its KEK is "
            "unknown to this keyring, or it is damaged): see medrec-ingest-keys status",
            err=True,
        )
    if not report.complete:
        again = ": run backfill again" if report.remaining > report.unreadable else ""
        typer.echo(f"{report.remaining} records still have no match key{again}", err=True)
        raise typer.Exit(1)
