"""medrec-catalog: catalog's operator commands.

`closures import FILE` reads the public closure data of 건강보험심사평가원 (요양기관 폐업 현황,
CSV in CP949 or UTF-8) into the directory: each closure with its custody when the file says it.
A file whose columns it does not know, or with a row it cannot read, is refused (exit 2) and
nothing is changed. Importing again updates, never doubles. Reads MEDREC_CATALOG_DATABASE_URL.
"""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from pydantic_settings import BaseSettings, SettingsConfigDict

from medrec_catalog.closures.hira import Refused
from medrec_catalog.closures.service import ImportReport, import_closures
from medrec_shared.platform.clock import build_clock
from medrec_shared.platform.commands import fail, settings_or_exit
from medrec_shared.platform.db import Database, Transactions

PREFIX = "MEDREC_CATALOG_"

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help=__doc__, rich_markup_mode="markdown"
)
closures = typer.Typer(no_args_is_help=True, help="The registry of closed clinics.")
app.add_typer(closures, name="closures")


class CommandSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore")
    database_url: str
    clock_file: Path | None = None


async def _import(settings: CommandSettings, file: Path) -> ImportReport:
    db = Database(settings.database_url, pool_size=1)
    try:
        with file.open("rb") as stream:
            return await import_closures(
                stream, transactions=Transactions.of(db), clock=build_clock(settings.clock_file)
            )
    finally:
        await db.dispose()


@closures.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="the CSV file", exists=True, dir_okay=False)],
) -> None:
    """Imports the closure data file (refused, exit 2, nothing changed, if not recognised)."""
    settings = settings_or_exit(CommandSettings, PREFIX)
    try:
        report = asyncio.run(_import(settings, file))
    except Refused as refusal:
        fail(f"refused, nothing changed: {refusal}", 2)
    typer.echo(
        f"closures: {report.read} rows read, {report.new} new, {report.updated} updated, "
        f"{report.skipped} skipped"
    )
