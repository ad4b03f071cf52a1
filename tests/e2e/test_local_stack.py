"""`make run`'s launcher as a person uses it: the stack comes up ready on a data directory it
keeps; stopped with Ctrl-C/SIGTERM or killed with kill -9, it starts again serving the first
start's data; the operator's secret is the configured one or the one it kept."""

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pyotp
import pytest

from tests.support.actors import bearer, eventually

pytestmark = pytest.mark.e2e

LAUNCHER = str(Path(sys.executable).parent / "medrec-stack")
OPERATOR_ENV = ("MEDREC_IDENTITY_ADMIN_CLIENT_ID", "MEDREC_IDENTITY_ADMIN_CLIENT_SECRET")


@dataclass
class Started:
    process: subprocess.Popen[bytes]
    printed: str
    urls: dict[str, str]
    operator: tuple[str, str]

    def descendants(self) -> list[psutil.Process]:
        return list(psutil.Process(self.process.pid).children(recursive=True))


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OPERATOR_ENV}
    return env | extra


@contextmanager
def launched(state: Path, log: Path, **env: str) -> Iterator[Started]:
    with log.open("w") as out:
        process = subprocess.Popen(
            [LAUNCHER, "run", "--no-fixed-ports", "--state", str(state)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=_environment(**env),
        )
    try:
        printed = eventually(
            lambda: log.read_text() if "Ctrl-C stops everything" in log.read_text() else None,
            timeout=240,
            what=f"the stack to come up ({log})",
        )
        urls = dict(re.findall(r"^\s+(\w+)\s+(http://127\.0\.0\.1:\d+)\s", printed, re.M))
        found = re.search(r"machine account: id=(\S+) secret=(\S+)", printed)
        assert found, printed
        operator = (found.group(1), env.get(OPERATOR_ENV[1], found.group(2)))
        yield Started(process, printed, urls, operator)
    finally:
        if process.poll() is None:
            _kill_all([psutil.Process(process.pid), *psutil.Process(process.pid).children(True)])


def _kill_all(processes: list[psutil.Process]) -> None:
    for process in processes:
        with suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(processes, timeout=20)


def _token(urls: dict[str, str], client_id: str, secret: str) -> int:
    response = httpx.post(
        f"{urls['identity']}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )
    return response.status_code


def _demo_counts(urls: dict[str, str]) -> dict[str, int]:
    """The demo clinics' record counts (the directory also lists the sample closures)."""
    response = httpx.get(f"{urls['catalog']}/v1/institutions", params={"limit": "500"})
    assert response.status_code == 200, response.text
    return {i["code"]: i["record_count"] for i in response.json()["items"] if i["code"] in DEMO}


def _founder_kept(urls: dict[str, str]) -> dict[str, str]:
    """A clinic of the sample closure data, seeded at the first start, as the directory shows it."""
    found = httpx.get(f"{urls['catalog']}/v1/institutions", params={"q": "푸른숲내과"})
    assert found.status_code == 200, found.text
    (clinic,) = found.json()["items"]
    custody: dict[str, str] = clinic["custody"]
    return custody


# the demo clinics and their records (v1 for three people; v2 for the citizen and their child)
DEMO = {"11000001": 3, "21000002": 3, "31000003": 4, "41000005": 4}
CITIZEN_RECORDS = 6  # the demo citizen's: one at each v1 clinic, three of version 2


def _serves_the_demo(urls: dict[str, str]) -> None:
    """Catalog lists the demo clinics with their records, once it has caught up."""
    eventually(lambda: _demo_counts(urls) == DEMO, timeout=60, what="the demo in the directory")
    assert _demo_counts(urls) == DEMO


def _citizen_records(urls: dict[str, str]) -> int:
    identity = httpx.Client(base_url=urls["identity"], timeout=30)
    started = identity.post(
        "/v1/verifications",
        json={"method": "mobile", "name": "김하늘", "rrn": "850315-1000001",
              "phone": "010-1234-5678"},
    ).json()  # fmt: skip
    token = identity.post(
        f"/v1/verifications/{started['verification_id']}/confirm",
        json={"code": started["sandbox_code"]},
    ).json()["access_token"]
    response = httpx.get(f"{urls['catalog']}/v1/me/records", headers=bearer(token))
    assert response.status_code == 200, response.text
    # their child, in the sandbox family registry, for 자녀 진료기록
    children = httpx.get(f"{urls['identity']}/v1/me/children", headers=bearer(token))
    assert [c["name"] for c in children.json()["items"]] == ["김다온"], children.text
    return len(response.json()["items"])


def _refused(*args: str, **env: str) -> str:
    """Runs the launcher expecting it to refuse: exit 2 and one line on stderr, no traceback."""
    done = subprocess.run(
        [LAUNCHER, *args], capture_output=True, text=True, timeout=120,
        env=_environment(**env), stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("medrec-stack: "), done.stderr
    return lines[0]


def _tree(path: Path) -> dict[str, tuple[int, int]]:
    """Every file under `path` with its size and modification time."""
    return {
        str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def test_the_stack_keeps_its_data_across_a_stop_and_a_kill_9(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with launched(state, tmp_path / "first.out") as first:
        assert set(first.urls) == {"identity", "ingest", "catalog", "issuance"}
        for url in first.urls.values():
            assert httpx.get(f"{url}/readyz").status_code == 200
            assert httpx.get(f"{url}/openapi.json").status_code == 200
        assert len(first.operator[1]) >= 16
        assert "demo: 4 clinics, 14 records" in first.printed
        assert "closures: 11 rows read, 10 new, 0 updated, 1 skipped" in first.printed
        assert _founder_kept(first.urls) == {
            "status": "founder", "label": "개설자 보관", "holder": "개설자 이서준",
            "contact": "02-555-0101",
        }  # fmt: skip
        assert f"data in {state}" in first.printed
        assert len(first.descendants()) >= 11  # postgres, broker, S3, 4 apis, 4 workers
        _serves_the_demo(first.urls)
        kept = json.loads((state / "secrets.json").read_text())
        assert (state / "secrets.json").stat().st_mode & 0o777 == 0o600
        assert kept["admin_client_secret"] == first.operator[1]
        # The first start's platform staff account, shown once, signs in (to its password change).
        staff = re.search(
            r"^staff account: login=(\S+) password=(\S+) totp=(\S+)$", first.printed, re.M
        )
        assert staff, first.printed
        login, password, totp_uri = staff.groups()
        assert password not in json.dumps(kept)
        code = pyotp.TOTP(pyotp.parse_uri(totp_uri).secret).now()
        signed_in = httpx.post(
            f"{first.urls['identity']}/v1/staff/sessions",
            json={"login": login, "password": password, "totp": code},
        )
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["status"] == "password_change_required"

        # One stack per data directory; a running one's data cannot be reset under it.
        assert "already running" in _refused("run", "--no-fixed-ports", "--state", str(state))
        assert "already running" in _refused("reset", "--state", str(state), "--yes")
        first.process.send_signal(signal.SIGTERM)
        descendants = first.descendants()
        assert first.process.wait(60) == 0
        _, alive = psutil.wait_procs(descendants, timeout=10)
        assert alive == [], [p.info for p in alive]

    # The configured operator secret rotates the operator client's.
    configured = {OPERATOR_ENV[0]: "operator", OPERATOR_ENV[1]: "configured-secret-0123456789"}
    with launched(state, tmp_path / "second.out", **configured) as second:
        assert "secret=(MEDREC_IDENTITY_ADMIN_CLIENT_SECRET)" in second.printed
        assert "configured-secret" not in second.printed
        assert "demo: deposited on the first start" in second.printed
        assert "closures: imported on the first start" in second.printed
        assert "staff account: platform exists" in second.printed
        assert password not in second.printed
        _serves_the_demo(second.urls)
        assert _citizen_records(second.urls) == CITIZEN_RECORDS
        assert _token(second.urls, *second.operator) == 200
        assert _token(second.urls, *first.operator) == 401
        # A power cut: the launcher and every process it started, killed at once.
        _kill_all([psutil.Process(second.process.pid), *second.descendants()])

    with launched(state, tmp_path / "third.out") as third:
        assert third.operator == first.operator, "the kept secret, once none is configured"
        assert _token(third.urls, *third.operator) == 200
        _serves_the_demo(third.urls)
        assert _citizen_records(third.urls) == CITIZEN_RECORDS
        third.process.send_signal(signal.SIGHUP)  # the terminal closed: the same clean stop
        descendants = third.descendants()
        assert third.process.wait(60) == 0
        _, alive = psutil.wait_procs(descendants, timeout=10)
        assert alive == []


def test_a_data_directory_of_another_layout_is_refused_untouched(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "postgres").mkdir(parents=True)
    (state / "postgres" / "PG_VERSION").write_text("18\n")
    (state / "medrec-stack.json").write_text('{"format": 999}')
    before = _tree(state)
    line = _refused("run", "--no-fixed-ports", "--state", str(state))
    assert "format 999" in line and f"medrec-stack reset --state {state}" in line
    assert _tree(state) == before


def test_a_directory_that_is_not_a_stacks_is_refused_and_never_reset(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert "no medrec data directory" in _refused(
        "run", "--no-fixed-ports", "--state", str(tmp_path)
    )
    assert "no medrec data directory" in _refused("reset", "--state", str(tmp_path), "--yes")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_port_in_use_is_named_and_nothing_is_created(tmp_path: Path) -> None:
    import socket

    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        holder.bind(("127.0.0.1", 8001))
        holder.listen()
    except OSError:
        pass  # something listens there already: the launcher must refuse all the same
    try:
        line = _refused("run", "--state", str(tmp_path / "state"))
    finally:
        holder.close()
    assert "port 8001 (identity) is in use" in line and "--no-fixed-ports" in line
    assert not (tmp_path / "state").exists()


def test_a_missing_engine_binary_says_how_to_get_it(tmp_path: Path) -> None:
    state = tmp_path / "state"
    line = _refused(
        "run", "--no-fixed-ports", "--state", str(state), MEDREC_STACK_WEED_BIN="/nowhere/weed"
    )
    assert "MEDREC_STACK_WEED_BIN=/nowhere/weed" in line
    assert not state.exists()


def test_reset_says_what_it_deletes_and_asks_first(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "medrec-stack.json").write_text('{"format": 1}')
    (state / "logs").mkdir()
    assert "nothing deleted" in _refused("reset", "--state", str(state))
    assert state.exists()
    done = subprocess.run(
        [LAUNCHER, "reset", "--state", str(state), "--yes"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"This deletes {state}" in done.stdout and "the keys that decrypt them" in done.stdout
    assert not state.exists()
