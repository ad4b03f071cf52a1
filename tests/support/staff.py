"""Staff people driving the admin API in tests: two of the same role for the decisions two people
make (an Art. 21 approval, a link, a release: one proposes, a different one confirms), and the
auditor's search of the audit trail."""

from collections.abc import Generator
from typing import Any

import httpx

from medrec_devstack.cluster import Cluster
from tests.support.actors import Staff, eventually, new_login


class StaffAuth(httpx.Auth):
    """Each request with the person's current token (re-minted as it ages: staff tokens live
    15 minutes, some test modules longer)."""

    def __init__(self, person: Staff) -> None:
        self.person = person

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.person.token}"
        yield request


class StaffClient(httpx.Client):
    """One person on one service: an httpx client calling as them."""

    def __init__(self, person: Staff, service: str) -> None:
        super().__init__(base_url=person.cluster.url(service), timeout=120, auth=StaffAuth(person))
        self.person = person
        self.login = person.login


def staff_on(
    cluster: Cluster,
    service: str,
    *roles: str,
    prefix: str = "staff",
    organisation: str = "khis",
    region: str | None = None,
) -> StaffClient:
    """A new staff person of `roles` (platform when none), calling `service`."""
    person = Staff(
        cluster,
        new_login(prefix),
        organisation=organisation,
        roles=roles or ("platform",),
        region=region,
    )
    return StaffClient(person, service)


class TwoPeople:
    """Two different people of the same role on one service. `decide` has the first propose and
    the second confirm, as every decision that cannot be undone is made."""

    def __init__(self, cluster: Cluster, service: str, role: str = "reviewer") -> None:
        self.first = staff_on(cluster, service, role, prefix=f"{role}1")
        self.second = staff_on(cluster, service, role, prefix=f"{role}2")

    def propose(self, path: str, reason: str = "서류 확인") -> httpx.Response:
        proposed = self.first.post(path, json={"reason": reason})
        assert proposed.status_code in (200, 202), proposed.text
        return proposed

    def confirm(self, path: str, reason: str = "재확인") -> httpx.Response:
        return self.second.post(path, json={"reason": reason})

    def decide(self, path: str, reason: str = "확인") -> httpx.Response:
        """Proposed by the first, confirmed by the second: the confirmation's answer."""
        self.propose(path, reason)
        return self.confirm(path, reason)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.first.get(path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        """A call one person makes alone (a rejection, an unlink, a read)."""
        return self.first.post(path, **kwargs)


def audited(
    auditor: StaffClient, *, what: str = "the acts in the audit trail", **search: str
) -> list[dict[str, Any]]:
    """The audit trail's entries for `search` (actor=, act=, resource_id=, subject=), once catalog
    has taken them in (StaffActed travels through the broker)."""

    def found() -> list[dict[str, Any]] | None:
        response = auditor.get("/v1/admin/audit", params={"limit": "500", **search})
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items or None

    return eventually(found, what=what)
