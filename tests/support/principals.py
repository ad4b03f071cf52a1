"""Verified callers as a service's code receives them (medrec_shared.platform.auth.Principal),
for unit tests of rules that take one: a staff person (the token's `staff` claim) or a machine
account (client credentials, no `staff`)."""

from medrec_shared.platform.auth import Principal, StaffMember
from medrec_shared.rules.staff import scopes_for


def staff(
    login: str,
    *roles: str,
    organisation: str = "khis",
    region: str | None = None,
) -> Principal:
    held = roles or ("reviewer",)
    member = StaffMember(
        account_id=f"id-{login}",
        login=login,
        organisation=organisation,
        roles=frozenset(held),
        region=region,
    )
    return Principal(subject=f"staff:id-{login}", scopes=scopes_for(held), staff=member)


def machine(client_id: str = "medrec-admin", scopes: frozenset[str] = frozenset()) -> Principal:
    return Principal(subject=client_id, scopes=scopes, client_id=client_id)
