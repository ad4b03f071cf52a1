"""deploy/observability's own modules for the tests of this folder: generate.py (not a package,
loaded from its path) and the deploy checks' k8s_check (as tests/deploy loads it)."""

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
OBSERVABILITY = REPO / "deploy" / "observability"
TOOLS = REPO / "deploy" / "tools"


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
    if str(TOOLS) not in sys.path:  # deploy/tools is on the path, not a package
        sys.path.insert(0, str(TOOLS))
    return importlib.import_module("k8s_check")
