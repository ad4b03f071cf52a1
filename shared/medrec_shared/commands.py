"""What operators' commands (typer) share: settings read from the environment, or a refusal
that names what is missing or wrong and never a value (pydantic's own message quotes the
environment, secrets and all)."""

from collections.abc import Callable
from typing import TypeVar

import typer
from pydantic import ValidationError

S = TypeVar("S")


def settings_or_exit(read: Callable[[], S], prefix: str) -> S:
    """`read()` (a settings class), or exit 2 naming the variables at fault."""
    try:
        return read()
    except ValidationError as error:
        wrong = sorted(
            prefix + str(e["loc"][0]).upper() if e["loc"] else str(e["msg"]) for e in error.errors()
        )
        typer.echo(f"settings missing or invalid: {', '.join(wrong)}", err=True)
        raise typer.Exit(2) from None
