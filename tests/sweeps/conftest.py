"""Sweeps over the whole API of every service (the fuzzer, the authorization matrix), with a token
of each role. This folder is collected after e2e/ and integration/ on purpose: the sweeps leave
data behind (clients, transfers, verifications, a retention sweep), so they run after the tests
that count rows."""

from collections.abc import Iterator

import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Institution, Operator, seed_family_link
from tests.support.sweeps import A_RRN, CHILD_BIRTH, CHILD_NAME, CHILD_RRN, CODE_X, CODE_Y, Cast


@pytest.fixture(scope="session")
def cast(cluster: Cluster) -> Iterator[Cast]:
    operator = Operator(cluster)
    x_id, x_secret = operator.register_client([CODE_X])
    y_id, y_secret = operator.register_client([CODE_Y])
    seed_family_link(cluster, A_RRN, CHILD_RRN, CHILD_NAME, CHILD_BIRTH)
    services = {
        name: cluster.client_token(*credentials)
        for name, credentials in cluster.secrets.service_clients.items()
    }
    yield Cast(
        cluster=cluster,
        operator=operator,
        institution_x=Institution(cluster, x_id, x_secret),
        institution_y=Institution(cluster, y_id, y_secret),
        x_client_id=x_id,
        service_tokens=services,
    )
