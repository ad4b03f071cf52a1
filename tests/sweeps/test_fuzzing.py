"""schemathesis against every service's OpenAPI document, with a token of each role: its coverage
phase (boundary and invalid values of every parameter and field) and its fuzzing phase. No answer
is a 5xx, and every answer matches the schema documented for its status.

`make test` runs a few examples per operation; `make fuzz` (MEDREC_FUZZ_EXAMPLES) many more. A
failure prints schemathesis's report, with a curl command reproducing each case.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from medrec_devstack.cluster import SERVICES, Cluster
from tests.support.sweeps import Cast

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("MEDREC_FUZZ_EXAMPLES", "4"))
SEED = os.environ.get("MEDREC_FUZZ_SEED", "1212")
SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
CHECKS = "not_a_server_error,response_schema_conformance"
# A role's token on the service it is meant for, and everyone anonymous everywhere: the
# operations that need another role answer 401/403 before parsing anything, which one
# anonymous run per service covers.
FUZZED = [
    ("anonymous", service) for service in SERVICES
] + [
    ("citizen_a", "identity"), ("citizen_a", "catalog"), ("citizen_a", "issuance"),
    ("guardian", "identity"), ("guardian", "catalog"), ("guardian", "issuance"),
    ("institution_x", "ingest"),
    ("issuance_service", "ingest"), ("issuance_service", "catalog"),
    ("catalog_service", "ingest"), ("catalog_service", "identity"),
    ("operator", "identity"), ("operator", "ingest"), ("operator", "catalog"),
    ("operator", "issuance"),
    # staff, each on the service whose admin routes their roles open
    ("reviewer", "catalog"), ("reviewer", "issuance"), ("platform", "ingest"),
    ("platform", "catalog"), ("auditor", "catalog"), ("health_centre", "ingest"),
]  # fmt: skip


@pytest.mark.parametrize(("role", "service"), FUZZED, ids=[f"{r}-{s}" for r, s in FUZZED])
def test_no_server_errors_and_every_answer_as_documented(
    cluster: Cluster, cast: Cast, role: str, service: str, tmp_path: Path
) -> None:
    command = [
        SCHEMATHESIS, "run", f"{cluster.url(service)}/openapi.json",
        "--phases", "coverage,fuzzing",
        "--checks", CHECKS,
        "--max-examples", str(EXAMPLES),
        "--seed", SEED,
        # One worker: a CI run with two ended once in an internal error of schemathesis's own
        # ("Runtime Error", not a finding) that did not recur here; one rules out a race between
        # its workers, as firezone/firezone#15195 saw.
        "--workers", "1",
        "--request-timeout", "30",
        "--suppress-health-check", "all",
        # Probes are not the API; schemathesis cannot serialize an NDJSON body in its fuzzing
        # phase (the batch's lines are the single-record schema, fuzzed through PUT).
        "--exclude-path-regex", r"^/(healthz|readyz)$|/records:batch$",
    ]  # fmt: skip
    token = cast.token(role)
    if token is not None:
        command += ["--header", f"Authorization: Bearer {token}"]
    run = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"},
    )
    assert run.returncode == 0, what_went_wrong(run.stdout) + run.stderr[-5000:]


def what_went_wrong(report: str) -> str:
    """schemathesis's failures and errors first, then its summary: a long report's head would
    otherwise be cut off where CI shows only its end."""
    sections = re.split(r"^(?==+ [A-Z ]+ =+$)", report, flags=re.MULTILINE)
    wanted = [s for s in sections if re.match(r"=+ (FAILURES|ERRORS|SUMMARY) =+", s)]
    return "\n".join(section[:12000] for section in wanted) or report[-30000:]
