import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Depositor, Operator
from tests.support.builders import new_code
from tests.support.ingest import IngestStore, NewDepositor


@pytest.fixture(scope="module")
def operator(cluster: Cluster) -> Operator:
    return Operator(cluster)


@pytest.fixture(scope="module")
def store(cluster: Cluster) -> IngestStore:
    return IngestStore(cluster)


@pytest.fixture(scope="module")
def new_depositor(cluster: Cluster, operator: Operator) -> NewDepositor:
    """An EMR client registered for a fresh institution code: (client, code)."""

    def make(scopes: list[str] | None = None) -> tuple[Depositor, str]:
        code = new_code()
        client_id, secret = operator.register_client([code], scopes)
        return Depositor(cluster, client_id, secret), code

    return make


@pytest.fixture(scope="module")
def depositor(new_depositor: NewDepositor) -> tuple[Depositor, str]:
    return new_depositor()
