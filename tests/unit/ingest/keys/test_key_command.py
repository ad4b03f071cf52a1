"""medrec-ingest-keys on the keyring file alone (rewrap, status and retire against a database are
in tests/integration/ingest/test_key_rotation.py)."""

import base64
import json
import os
import secrets
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medrec_ingest.keys.cli import app
from medrec_shared.platform.crypto import FileKeyring

runner = CliRunner()
KEY = base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def keyring_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys.json"
    monkeypatch.setenv("MEDREC_INGEST_CONTENT_KEYS_FILE", str(path))
    monkeypatch.setenv("MEDREC_INGEST_CONTENT_KEYS", f"kek-1:{KEY}")
    monkeypatch.setenv("MEDREC_INGEST_CONTENT_KEY_ACTIVE", "kek-1")
    return path


def keys(path: Path) -> dict[str, str]:
    document: dict[str, str] = json.loads(path.read_text())["keys"]
    return document


def test_keys_are_added_and_activated_in_the_file_and_never_printed(keyring_file: Path) -> None:
    printed = [runner.invoke(app, ["init"])]
    assert printed[-1].exit_code == 0 and keys(keyring_file) == {"kek-1": KEY}
    assert keyring_file.stat().st_mode & 0o777 == 0o600
    os.chmod(keyring_file, 0o640)  # e.g. readable by the service's group
    running = FileKeyring(keyring_file, check_every=0)

    printed.append(runner.invoke(app, ["add", "kek-2"]))
    assert printed[-1].exit_code == 0
    assert running.kek_ids() == ["kek-1", "kek-2"] and running.active_kek_id == "kek-1"
    printed.append(runner.invoke(app, ["activate", "kek-2"]))
    assert printed[-1].exit_code == 0 and running.active_kek_id == "kek-2"
    assert len(base64.b64decode(keys(keyring_file)["kek-2"])) == 32
    assert keyring_file.stat().st_mode & 0o777 == 0o640, "the file keeps its mode"
    assert [p.name for p in keyring_file.parent.iterdir()] == ["keys.json"], "no temp file left"
    output = "".join(r.output for r in printed)
    assert all(key not in output for key in keys(keyring_file).values())


def test_wrong_steps_are_refused_and_change_nothing(keyring_file: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    before = keyring_file.read_bytes()
    for args, reason in [
        (["init"], "exists already"),
        (["add", "kek-1"], "in the keyring already"),
        (["add", "not an id"], "refused"),
        (["activate", "kek-9"], "not in the keyring file"),
        (["retire", "kek-9"], "not in the keyring file"),
        (["retire", "kek-1"], "is the active KEK"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 1 and reason in result.output, (args, result.output)
    assert keyring_file.read_bytes() == before
