"""`medrec-identity`: identity's operator commands that are not a process of their own
(`staff`: staff accounts, medrec_identity.staff.cli)."""

import typer

from medrec_identity.staff.cli import app as staff

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
app.add_typer(staff, name="staff")


@app.callback()
def _commands() -> None:
    """Keeps `staff` a subcommand."""
