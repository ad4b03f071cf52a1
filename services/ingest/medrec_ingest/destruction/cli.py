"""medrec-ingest-destructions: the destruction log an operator re-applies after a restore.

Every destruction is also logged in the object store, a small entry per record under the day it
happened (`destruction-log/DAY/`), because a restored database brings back the rows, and the
data keys, of records destroyed since its backup. After restoring ingest's database (or
catalog's, or issuance's), run `reapply --since DAY` with DAY the restore point's day (in Seoul)
or earlier, before the services serve again. It reads the service's settings (the worker's:
MEDREC_INGEST_DATABASE_URL, the S3 settings, the content keys) and prints counts only.
"""

import asyncio
from datetime import datetime
from typing import Annotated

import typer

from medrec_ingest.bootstrap import build
from medrec_ingest.destruction.reapply import ReapplyReport, reapply_destructions
from medrec_ingest.settings import IngestSettings
from medrec_shared.platform.clock import korean_date
from medrec_shared.platform.commands import settings_or_exit

PREFIX = "MEDREC_INGEST_"

# Markdown: docstring lines wrapped in the source are joined in the help.
app = typer.Typer(
    add_completion=False, no_args_is_help=True, help=__doc__, rich_markup_mode="markdown"
)


@app.callback()
def main() -> None:
    """The destruction log in the object store."""


@app.command()
def reapply(
    since: Annotated[
        datetime,
        typer.Option(
            "--since",
            formats=["%Y-%m-%d"],
            help="the restore point's day (YYYY-MM-DD, Seoul) or earlier: every destruction "
            "logged from that day on is applied again",
        ),
    ],
) -> None:
    """Destroy again every record the log says was destroyed since DAY, write back the database's
    log entries the restore lost, and announce each destruction again to catalog and issuance.
    Safe to run twice, and to stop and run again."""
    settings = settings_or_exit(IngestSettings, PREFIX)

    async def run() -> ReapplyReport:
        components = build(settings, pool_size=1)
        try:
            return await reapply_destructions(
                components.destructions,
                since=since.date(),
                today=korean_date(components.clock.now()),
            )
        finally:
            await components.aclose()

    report = asyncio.run(run())
    typer.echo(
        f"destructions logged since {since.date()}: {report.logged}; "
        f"records destroyed again: {report.destroyed_again}; "
        f"database log entries written back: {report.relogged}"
    )
