"""The local stack, started once per test run: the engines for integration tests, and the four
services as processes for end-to-end tests."""

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from medrec_devstack.cluster import Cluster
from medrec_devstack.infra import Infra, start_infra


@pytest.fixture(scope="session")
def state_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="medrec-test-") as path:
        yield Path(path)


@pytest.fixture(scope="session")
def infra(state_dir: Path) -> Iterator[Infra]:
    engines = start_infra(state_dir / "infra", fast=True)  # a throwaway stack: no fsync
    yield engines
    engines.stop()


@pytest.fixture(scope="session")
def cluster(infra: Infra, state_dir: Path) -> Iterator[Cluster]:
    running = Cluster(state_dir / "cluster", infra=infra).start()
    yield running
    running.stop()
