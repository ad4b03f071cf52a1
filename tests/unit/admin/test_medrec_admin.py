"""medrec-admin's own rules, without a service: where it sends the machine account's secret,
how it reads its arguments (credentials never from a positional, `--json` after the command),
and how a job's progress is shown and followed to its end."""

import io
from typing import Any

import pytest

from medrec_admin import cli
from medrec_admin.client import require_transport
from medrec_admin.progress import PlainLines, follow
from medrec_transfer.errors import InsecureURL


@pytest.mark.parametrize(
    "url",
    [
        "https://ingest.medrec.example",
        "http://127.0.0.1:8002",
        "http://localhost:8002",
        "http://[::1]:8002",
        "http://medrec-ingest.medrec.svc.cluster.local:8002",  # an operators' job in the cluster
    ],
)
def test_urls_it_sends_the_secret_to(url: str) -> None:
    assert require_transport(url, "the ingest URL") == url


@pytest.mark.parametrize(
    "url",
    [
        "http://ingest.medrec.example",
        "http://medrec-ingest:8002",  # a short name a search domain may resolve anywhere
        "http://medrec-ingest.medrec.svc:8002",
        "http://svc.cluster.local.evil.example",
        "ftp://127.0.0.1",
    ],
)
def test_urls_it_refuses(url: str) -> None:
    with pytest.raises(InsecureURL):
        require_transport(url, "the ingest URL")


def test_without_credentials_it_stops_before_any_request(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MEDREC_CLIENT_ID", raising=False)
    monkeypatch.delenv("MEDREC_CLIENT_SECRET", raising=False)
    with pytest.raises(SystemExit) as stopped:
        cli.main(["stats"])
    assert stopped.value.code == 2
    assert "MEDREC_CLIENT_ID" in capsys.readouterr().err


def test_a_plain_http_url_elsewhere_is_refused_with_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MEDREC_CLIENT_ID", "machine")
    monkeypatch.setenv("MEDREC_CLIENT_SECRET", "s" * 32)
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--catalog-url", "http://catalog.example", "stats"])
    assert stopped.value.code == 2
    assert "must be https://" in capsys.readouterr().err


def test_the_revoked_client_is_not_taken_for_the_callers_id() -> None:
    args = cli._parser().parse_args(["--client-id", "machine", "clients", "revoke", "cl-1"])
    assert (args.client_id, args.revoked) == ("machine", "cl-1")


@pytest.mark.parametrize(
    "argv",
    [["--json", "clients", "list"], ["clients", "list", "--json"]],
)
def test_json_before_or_after_the_command(argv: list[str]) -> None:
    assert cli._parser().parse_args(argv).json is True
    assert cli._parser().parse_args(argv[1:] if argv[0] == "--json" else argv[:-1]).json is False


def job(status: str, done: int, total: int = 10) -> dict[str, Any]:
    return {"job_id": "j1", "kind": "key_rewrap", "status": status, "done": done, "total": total}


def test_a_job_is_followed_until_it_is_no_longer_running() -> None:
    states = iter([job("running", 0), job("running", 4), job("running", 9), job("completed", 10)])
    out = io.StringIO()
    waits: list[float] = []
    last = follow(lambda: next(states), PlainLines(out, every=0), sleep=waits.append)
    assert last["status"] == "completed" and len(waits) == 3
    lines = out.getvalue().splitlines()
    assert [line.split(": ", 1)[1] for line in lines] == [
        "running, 0/10 rows (0%)",
        "running, 4/10 rows (40%)",
        "running, 9/10 rows (90%)",
        "completed, 10/10 rows (100%)",
    ]


def test_plain_lines_are_throttled_but_the_end_is_always_said() -> None:
    out = io.StringIO()
    shown = PlainLines(out, every=3600)
    for state in (job("running", 1), job("running", 2), job("running", 3), job("incomplete", 9)):
        shown.show(state)
    said = [line.split(": ", 1)[1] for line in out.getvalue().splitlines()]
    assert said == ["running, 1/10 rows (10%)", "incomplete, 9/10 rows (90%)"]


def test_an_unfinished_job_exits_1_and_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli._ended(job("completed", 10)) == cli.OK
    assert cli._ended(job("interrupted", 3)) == cli.UNFINISHED
    assert "run it again" in capsys.readouterr().err
