"""deploy/observability's own modules for the tests of this folder: generate.py (not a package,
loaded from its path) and the deploy checks' k8s_check (as tests/deploy loads it)."""

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tests.deploy.conftest import _tool

REPO = Path(__file__).resolve().parents[2]
OBSERVABILITY = REPO / "deploy" / "observability"


@pytest.fixture(scope="session")
def generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "medrec_observability_generate", OBSERVABILITY / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def k8s_check() -> ModuleType:
    return _tool("k8s_check")
