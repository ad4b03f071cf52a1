"""The transfer kit never sends its client secret or records in clear, and keeps the secret off
the command line: service URLs are https (plain http only to this machine), the secret comes
from MEDREC_CLIENT_SECRET or --client-secret-file, and --client-secret (kept: API.md names it)
warns. `validate` checks against the schemas the kit carries, with no server at all.

identity here is a stand-in HTTP server (the kit's unit tests fake the services it calls): it
records what reaches it and refuses every token."""

import base64
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from medrec_transfer import AsyncTransferClient
from medrec_transfer.cli import main
from medrec_transfer.errors import InsecureURL
from medrec_transfer.urls import require_secure

EXAMPLE = Path(__file__).parents[3] / "examples" / "export"
COMMAND = str(Path(sys.executable).parent / "medrec-transfer")
SECRET = "kit-secret-7f3a9c"
WARNING = "process list"


class StandIn(ThreadingHTTPServer):
    """Answers every request at once (a token: 401 invalid_client; anything else: 404) and keeps
    each request's method, path and Authorization header."""

    def __init__(self, host: str) -> None:
        self.seen: list[tuple[str, str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                server.seen.append((self.command, self.path, self.headers.get("Authorization", "")))
                status, body = (
                    (401, {"error": "invalid_client"}) if self.path == "/oauth/token"
                    else (404, {"type": "about:blank", "title": "Not found", "status": 404})
                )  # fmt: skip
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args: object) -> None:
                pass

        super().__init__((host, 0), Handler)

    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def secrets_sent(self) -> list[str]:
        return [
            base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")[2]
            for _, path, auth in self.seen
            if path == "/oauth/token" and auth.startswith("Basic ")
        ]


def _serving(host: str) -> Iterator[StandIn]:
    server = StandIn(host)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def local_identity() -> Iterator[StandIn]:
    yield from _serving("127.0.0.1")


def _outward_address() -> str:
    """This machine's address on its network (not loopback): where a remote host would be."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: only the route is chosen
        except OSError:
            pytest.skip("no network interface besides loopback")
        address: str = probe.getsockname()[0]
    if address.startswith("127."):
        pytest.skip("no network interface besides loopback")
    return address


@pytest.fixture
def remote_host() -> Iterator[StandIn]:
    yield from _serving(_outward_address())


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    code = exited.value.code
    assert isinstance(code, int)
    return code, capsys.readouterr().err


@pytest.fixture(autouse=True)
def no_credentials_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MEDREC_CLIENT_ID", "MEDREC_CLIENT_SECRET", "MEDREC_INGEST_URL",
                 "MEDREC_IDENTITY_URL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    "url",
    ["https://transfer.medrec.example", "http://127.0.0.1:8002", "http://127.8.9.10",
     "http://[::1]:8002", "http://localhost:8001", "http://LOCALHOST"],
)  # fmt: skip
def test_https_and_plain_http_to_this_machine_are_accepted(url: str) -> None:
    assert require_secure(url) == url


@pytest.mark.parametrize(
    "url",
    ["http://transfer.medrec.example", "http://10.0.0.5:8002", "http://[fd00::2]",
     "http://localhost.attacker.example", "http://127.0.0.1.nip.io", "ftp://127.0.0.1",
     "transfer.medrec.example", "https://"],
)  # fmt: skip
def test_plain_http_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(InsecureURL, match="https://"):
        require_secure(url)
    with pytest.raises(InsecureURL):
        AsyncTransferClient(
            identity_url=url, ingest_url="https://ingest.example", client_id="a", client_secret="b"
        )


@pytest.mark.parametrize("command", ["push", "status"])
def test_the_kit_refuses_http_to_another_host_before_sending_anything(
    command: str, remote_host: StandIn, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("MEDREC_CLIENT_SECRET", SECRET)
    code, err = run(
        [command, str(EXAMPLE), "--client-id", "vendor",
         "--identity-url", remote_host.url(), "--ingest-url", remote_host.url()],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert "--identity-url must be https://" in err
    assert remote_host.seen == []  # neither the secret nor a record went out


def test_a_secret_file_is_what_the_kit_sends(
    local_identity: StandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    code, err = run(
        ["status", str(EXAMPLE), "--client-id", "vendor", "--client-secret-file",
         str(secret_file), "--identity-url", local_identity.url(),
         "--ingest-url", local_identity.url()],
        capsys,
    )  # fmt: skip
    assert code == 2 and "identity refused the client credentials (invalid_client)" in err
    assert local_identity.secrets_sent() == [SECRET]
    assert WARNING not in err and SECRET not in err


def test_the_secret_from_the_environment_is_sent_without_a_warning(
    local_identity: StandIn, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDREC_CLIENT_SECRET", SECRET)
    code, err = run(
        ["status", str(EXAMPLE), "--client-id", "vendor", "--identity-url", local_identity.url(),
         "--ingest-url", local_identity.url()],
        capsys,
    )  # fmt: skip
    assert code == 2 and local_identity.secrets_sent() == [SECRET]
    assert WARNING not in err


def test_a_secret_on_the_command_line_still_works_but_warns(
    local_identity: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(
        ["status", str(EXAMPLE), "--client-id", "vendor", "--client-secret", SECRET,
         "--identity-url", local_identity.url(), "--ingest-url", local_identity.url()],
        capsys,
    )  # fmt: skip
    assert code == 2 and local_identity.secrets_sent() == [SECRET]
    warning = err.splitlines()[0]
    assert warning.startswith("medrec-transfer: warning: --client-secret")
    assert WARNING in warning and "MEDREC_CLIENT_SECRET" in warning
    assert "--client-secret-file" in warning and SECRET not in err


@pytest.mark.parametrize("content", ["", "\n"], ids=["empty", "blank line"])
def test_an_empty_or_unreadable_secret_file_exits_2(
    content: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(content)
    for path in (secret_file, tmp_path / "missing"):
        code, err = run(
            ["push", str(EXAMPLE), "--client-id", "a", "--client-secret-file", str(path)], capsys
        )
        assert code == 2 and "--client-secret-file" in err.splitlines()[-1]


def test_the_help_says_where_the_secret_comes_from_and_which_urls_are_taken(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["push", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "--client-secret-file PATH" in shown and "MEDREC_CLIENT_SECRET" in shown
    assert "process list" in shown and "plain http:// only to 127.0.0.1, ::1 or localhost" in shown


def test_validate_works_with_no_server_reachable(tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = subprocess.run(
        [COMMAND, "validate", str(EXAMPLE), "--ingest-url", f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("MEDREC_")},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "17 valid records" in result.stdout and "0 invalid lines" in result.stdout
