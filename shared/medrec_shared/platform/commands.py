"""What operators' commands (typer) share: settings read from the environment, or a refusal
that names what is missing or wrong and never a value (pydantic's own message quotes the
environment, secrets and all)."""

from collections.abc import Callable
from typing import NoReturn, TypeVar

import typer
from pydantic import ValidationError

S = TypeVar("S")


def fail(message: str, code: int = 1) -> NoReturn:
    """The command stops: the message on stderr, exit `code` (1 failed, 2 usage)."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def settings_or_exit(read: Callable[[], S], prefix: str) -> S:
    """`read()` (a settings class), or exit 2 naming the variables at fault."""
    try:
        return read()
    except ValidationError as error:
        wrong = sorted(
            prefix + str(e["loc"][0]).upper() if e["loc"] else str(e["msg"]) for e in error.errors()
        )
        fail(f"settings missing or invalid: {', '.join(wrong)}", 2)
