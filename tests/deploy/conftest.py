"""The deploy checks' own modules (deploy/tools, not a package) and one run of the whole
`make k8s-check` for every test of this folder (rendering and validating takes a few seconds)."""

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "deploy" / "tools"


def _tool(name: str) -> ModuleType:
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    return importlib.import_module(name)


@pytest.fixture(scope="session")
def k8s_check() -> ModuleType:
    return _tool("k8s_check")


@pytest.fixture(scope="session")
def k8s_policy() -> ModuleType:
    return _tool("k8s_check.policy")


@pytest.fixture(scope="session")
def report(k8s_check: ModuleType) -> Any:
    return k8s_check.run()


@pytest.fixture(scope="session")
def rendered(report: Any) -> dict[str, list[dict[str, Any]]]:
    """Target name ("overlays/prod", ...) -> rendered objects."""
    return {t.name: t.objects for t in report.targets}
