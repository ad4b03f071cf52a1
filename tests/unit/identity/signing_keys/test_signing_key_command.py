"""medrec-identity-signing-keys without the stack: which keys are due for retirement, when a
rotation is due, and the command's answers to wrong usage and unusable settings (rotate and
retire against a database are in tests/integration/identity/test_signing_keys.py)."""

import base64
import os
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from medrec_identity.settings import IdentitySettings
from medrec_identity.signing_keys.cli import app
from medrec_identity.signing_keys.rotation import (
    KeyState,
    KeyView,
    due_for_retirement,
    retire_after,
    rotation_due,
)

runner = CliRunner()
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
FIELD_KEY = base64.b64encode(secrets.token_bytes(32)).decode()


def view(kid: str, state: KeyState, stopped: timedelta | None = None) -> KeyView:
    """A key created a day ago; `stopped`: how long ago it stopped signing."""
    deactivated = NOW - stopped if stopped is not None else None
    due = deactivated + HOUR if deactivated and state is KeyState.published else None
    retired = NOW if state is KeyState.retired else None
    return KeyView(kid, NOW - 24 * HOUR, state, deactivated, retired, due)


def test_only_published_keys_past_their_time_are_due() -> None:
    keys = [
        view("active", KeyState.active),
        view("old", KeyState.published, stopped=2 * HOUR),
        view("exactly", KeyState.published, stopped=HOUR),
        view("recent", KeyState.published, stopped=HOUR - timedelta(seconds=1)),
        view("gone", KeyState.retired, stopped=48 * HOUR),
    ]
    assert due_for_retirement(keys, NOW) == ["old", "exactly"]


def test_nothing_is_due_while_no_key_is_active() -> None:
    keys = [view("old", KeyState.published, stopped=48 * HOUR)]
    assert due_for_retirement(keys, NOW) == []


def test_a_rotation_is_due_once_the_active_key_is_as_old_as_a_retirement_takes() -> None:
    active = view("active", KeyState.active)  # a day old
    assert rotation_due(active, NOW, 24 * HOUR)
    assert not rotation_due(active, NOW, 25 * HOUR)
    assert rotation_due(None, NOW, 25 * HOUR)


def settings(**overrides: object) -> IdentitySettings:
    base: dict[str, object] = {
        "environment": "local",
        "database_url": "postgresql+asyncpg://u@127.0.0.1:1/medrec_identity",
        "kafka_bootstrap_servers": "127.0.0.1:1",
        "identity_url": "http://127.0.0.1:1",
        "person_index_key": "x" * 32,
        "field_keys": f"kek-1:{FIELD_KEY}",
        "field_key_active": "kek-1",
    }
    return IdentitySettings(**(base | overrides))  # type: ignore[arg-type]


def test_a_key_stays_published_as_long_as_the_longest_token_lives_and_a_minute() -> None:
    assert retire_after(settings()) == timedelta(seconds=3600 + 60)  # client tokens: an hour
    longer = settings(client_token_ttl_seconds=600, citizen_token_ttl_seconds=7200)
    assert retire_after(longer) == timedelta(seconds=7200 + 60)


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """identity's settings in the environment, as the pods have them, on a database that is
    not there (port 1)."""
    for name in list(os.environ):
        if name.startswith("MEDREC_"):
            monkeypatch.delenv(name)
    values = settings().model_dump()
    for name in ("database_url", "kafka_bootstrap_servers", "identity_url", "field_key_active"):
        monkeypatch.setenv(f"MEDREC_IDENTITY_{name.upper()}", str(values[name]))
    monkeypatch.setenv("MEDREC_IDENTITY_ENVIRONMENT", "local")
    monkeypatch.setenv("MEDREC_IDENTITY_PERSON_INDEX_KEY", "x" * 32)
    monkeypatch.setenv("MEDREC_IDENTITY_FIELD_KEYS", f"kek-1:{FIELD_KEY}")
    return monkeypatch


def test_usage_errors_exit_2(environment: pytest.MonkeyPatch) -> None:
    assert runner.invoke(app, []).exit_code == 2  # the help, as no command was named
    assert runner.invoke(app, ["turn"]).exit_code == 2
    assert runner.invoke(app, ["retire", "some-kid"]).exit_code == 2
    assert runner.invoke(app, ["rotate", "--now"]).exit_code == 2
    # An emergency retire names its key and says "now": neither alone.
    assert runner.invoke(app, ["retire", "--kid", "some-kid"]).exit_code == 2
    assert runner.invoke(app, ["retire", "--now"]).exit_code == 2
    shown = runner.invoke(app, ["--help"])
    assert shown.exit_code == 0
    assert all(command in shown.output for command in ("rotate", "retire", "list"))


def test_unusable_settings_are_named_and_their_values_never_shown(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.delenv("MEDREC_IDENTITY_DATABASE_URL")
    environment.setenv("MEDREC_IDENTITY_CLIENT_TOKEN_TTL_SECONDS", f"not-a-number-{FIELD_KEY}")
    for command in ("rotate", "retire", "list"):
        result = runner.invoke(app, [command])
        assert result.exit_code == 1, result.output
        assert "database_url" in result.output and "client_token_ttl_seconds" in result.output
        assert FIELD_KEY not in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_a_database_that_is_not_there_is_one_line_and_exit_1(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv(
        "MEDREC_IDENTITY_DATABASE_URL", "postgresql+asyncpg://u:pw-in-url@127.0.0.1:1/medrec"
    )
    for command in ("rotate", "retire", "list"):
        result = runner.invoke(app, [command])
        assert result.exit_code == 1, result.output
        assert result.output.startswith("cannot use identity's database")
        assert "pw-in-url" not in result.output and FIELD_KEY not in result.output
        assert len(result.output.strip().splitlines()) == 1
