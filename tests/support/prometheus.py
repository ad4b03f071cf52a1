"""A real Prometheus and its promtool for the observability tests: Debian's `prometheus` package,
installed with apt when missing (as tests/support/browser.py does for Chromium), never a binary
downloaded by hand. The package's maintainer script would start a system Prometheus on :9090
where nothing forbids it (invoke-rc.d): the install runs under a policy-rc.d that forbids it, and
without the recommended packages (prometheus-node-exporter would take :9100). The tests run
their own Prometheus on a free port with a configuration of their own (`Prometheus`)."""

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from medrec_devstack.processes import free_port

PROMTOOL = Path("/usr/bin/promtool")
PROMETHEUS = Path("/usr/bin/prometheus")
POLICY_RC = Path("/usr/sbin/policy-rc.d")
# invoke-rc.d asks this script whether it may start a service; 101 is "no".
FORBID_SERVICES = (
    "#!/bin/sh\n# medrec tests: no service starts while apt installs prometheus\nexit 101\n"
)


def ensure_prometheus() -> Path:
    """/usr/bin/promtool (and /usr/bin/prometheus beside it), installed with apt on a fresh
    machine (CI starts from one). Returns promtool's path."""
    if PROMTOOL.exists() and PROMETHEUS.exists():
        return PROMTOOL
    apt = shutil.which("apt-get")
    if apt is None:
        raise RuntimeError("no /usr/bin/promtool and no apt-get to install prometheus")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    placed = _forbid_service_starts(sudo)
    try:
        subprocess.run([*sudo, apt, "update"], check=True, env=env, capture_output=True)
        subprocess.run(
            [*sudo, apt, "install", "-y", "--no-install-recommends", "prometheus"],
            check=True,
            env=env,
            capture_output=True,
        )
    finally:
        if placed:
            subprocess.run([*sudo, "rm", "-f", str(POLICY_RC)], check=True)
    if not (PROMTOOL.exists() and PROMETHEUS.exists()):
        raise RuntimeError("apt-get installed prometheus but /usr/bin/promtool is missing")
    return PROMTOOL


def _forbid_service_starts(sudo: list[str]) -> bool:
    """Put a policy-rc.d that refuses every service start, unless the machine has one already
    (containers usually do: it says the same). True when this call placed it."""
    if POLICY_RC.exists():
        return False
    subprocess.run(
        [*sudo, "sh", "-c", f"cat > {POLICY_RC} && chmod 755 {POLICY_RC}"],
        input=FORBID_SERVICES.encode(),
        check=True,
    )
    return True


def promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """promtool with `args`, its output kept (the caller asserts on returncode and shows it)."""
    return subprocess.run(
        [str(ensure_prometheus()), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@dataclass
class Prometheus:
    """/usr/bin/prometheus as a process of the test: a free port, a data folder under `home`,
    scraping `targets` (job name -> list of "host:port") every second and evaluating the rule
    files every second."""

    home: Path
    targets: dict[str, list[str]]
    rule_files: list[Path]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> dict[str, Any]:
        return {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(p) for p in self.rule_files],
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": addresses}]}
                for job, addresses in sorted(self.targets.items())
            ],
        }

    def start(self) -> "Prometheus":
        ensure_prometheus()
        self.home.mkdir(parents=True, exist_ok=True)
        config = self.home / "prometheus.yml"
        config.write_text(yaml.safe_dump(self.config(), sort_keys=False))
        log = (self.home / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [
                str(PROMETHEUS),
                f"--config.file={config}",
                f"--storage.tsdb.path={self.home / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=1h",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited: {self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.2)  # polling the process's readiness, not waiting for an event
        raise RuntimeError(f"prometheus not ready within 60 s: {self.log()}")

    def log(self) -> str:
        path = self.home / "prometheus.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def api(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}{query}", timeout=10) as answer:
            body = json.loads(answer.read())
        assert body["status"] == "success", body
        return body["data"]

    def alerts(self) -> list[dict[str, Any]]:
        """The alerts Prometheus holds now (pending and firing), as /api/v1/alerts gives them."""
        alerts: list[dict[str, Any]] = self.api("alerts")["alerts"]
        return alerts

    def query(self, expr: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.api("query", query=expr)["result"]
        return result

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
