"""Helpers for tests (from tests/sweeps/conftest.py)."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from medrec_devstack.cluster import Cluster
from tests.support.actors import (
    ActingGuardian,
    Citizen,
    Institution,
    Operator,
    Staff,
    act_for,
    children_of,
    new_login,
)

A_RRN, A_NAME = "820304-1000501", "한지훈"


B_RRN, B_NAME = "830405-2000602", "오세영"


CHILD_RRN, CHILD_NAME, CHILD_BIRTH = "150707-3000703", "한서준", "2015-07-07"


CODE_X, CODE_Y = "95000001", "95000002"


# The staff of the cast, by role: organisation, roles, region. Two reviewers, so that a
# decision one proposes can be confirmed by another; a health centre of Seoul (11) and one of
# Busan (26), each seeing only its region.
STAFF_ROLES: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "reviewer": ("khis", ("reviewer",), None),
    "reviewer_2": ("khis", ("reviewer",), None),
    "health_centre": ("hc:11", ("health_centre",), "11"),
    "health_centre_other": ("hc:26", ("health_centre",), "26"),
    "platform": ("khis", ("platform",), None),
    "auditor": ("khis", ("auditor",), None),
}

# Citizens' tokens live 15 minutes and guardians' 10: re-minted when older than this, so a long
# `make fuzz` run never sends an expired token (which would only test the 401 path).
FRESH_SECONDS = 300


@dataclass
class Cast:
    """Everyone who calls the API, by role: a bearer token each (none for anonymous)."""

    cluster: Cluster
    operator: Operator
    institution_x: Institution
    institution_y: Institution
    x_client_id: str
    service_tokens: dict[str, str]  # "catalog", "issuance": those services' own clients
    _citizens: dict[str, tuple[float, Citizen]] = field(default_factory=dict)
    _staff: dict[str, Staff] = field(default_factory=dict)

    def staff(self, role: str) -> Staff:
        """The cast's staff person of `role` (STAFF_ROLES), made on first use."""
        if role not in self._staff:
            organisation, roles, region = STAFF_ROLES[role]
            login = new_login(f"cast.{role.replace('_', '-')}")
            self._staff[role] = Staff(
                self.cluster, login, organisation=organisation, roles=roles, region=region
            )
        return self._staff[role]

    def _fresh(self, key: str, make: Callable[[], Citizen]) -> Citizen:
        made = self._citizens.get(key)
        if made is None or time.monotonic() - made[0] > FRESH_SECONDS:
            made = (time.monotonic(), make())
            self._citizens[key] = made
        return made[1]

    def citizen_a(self) -> Citizen:
        return self._fresh("a", lambda: Citizen(self.cluster, A_NAME, A_RRN, "010-9500-0001"))

    def citizen_b(self) -> Citizen:
        return self._fresh("b", lambda: Citizen(self.cluster, B_NAME, B_RRN, "010-9500-0002"))

    def child_person_id(self) -> str:
        children = {c["name"]: c for c in children_of(self.citizen_a())}
        return str(children[CHILD_NAME]["person_id"])

    def guardian(self) -> ActingGuardian:
        """Citizen A acting for their child."""

        def make() -> Citizen:
            return act_for(self.citizen_a(), self.child_person_id())

        guardian = self._fresh("guardian", make)
        assert isinstance(guardian, ActingGuardian)
        return guardian

    def token(self, role: str) -> str | None:
        """The bearer token of `role` (see ROLES), or None for anonymous."""
        tokens: dict[str, Callable[[], str | None]] = {
            "anonymous": lambda: None,
            "citizen_a": lambda: self.citizen_a().token,
            "citizen_b": lambda: self.citizen_b().token,
            "guardian": lambda: self.guardian().token,
            "institution_x": lambda: self.institution_x.token,
            "institution_y": lambda: self.institution_y.token,
            "catalog_service": lambda: self.service_tokens["catalog"],
            "issuance_service": lambda: self.service_tokens["issuance"],
            "operator": lambda: self.operator.token,
            # the machine account (MEDREC_IDENTITY_ADMIN_CLIENT_ID): the machine scopes only
            "machine": lambda: self.operator.token,
        }
        if role in STAFF_ROLES:
            return self.staff(role).token
        return tokens[role]()


ROLES = (
    "anonymous",
    "citizen_a",
    "citizen_b",
    "guardian",
    "institution_x",
    "institution_y",
    "catalog_service",
    "issuance_service",
    "operator",
    "machine",
    *STAFF_ROLES,
)
