"""The people who run the service: their roles, the scope each admin act requires, and how their
acts are named to the citizens whose records they touch.

Every admin route requires the one scope of its act (never a blanket `admin`); identity puts in
a staff person's token the union of their roles' scopes (`scopes_for`). A machine account (the
`MEDREC_IDENTITY_ADMIN_CLIENT_ID` client, `medrec-admin`) may hold `MACHINE_SCOPES` only: it
cannot decide a review, a link or a release, which are a person's to answer for (DOMAIN.md)."""

from collections.abc import Iterable
from typing import Literal

Role = Literal["reviewer", "health_centre", "platform", "auditor"]
ROLES: tuple[Role, ...] = ("reviewer", "health_centre", "platform", "auditor")

# The organisation of the service itself; a health centre is "hc:<region code>".
SERVICE_ORGANISATION = "khis"

# -- the scopes of admin acts ----------------------------------------------------------------
STATS_READ = "stats:read"  # 현황: counts only, no personal data
PROXY_REVIEW = "proxy-requests:review"  # Art. 21 requests: read the documents, decide
LINKAGE_REVIEW = "linkage:review"  # linkage candidates: read demographics, decide, unlink
TRANSFERS_OVERSEE = "transfers:oversee"  # transfers' status and counts (a region, or all)
TRANSFER_REQUESTS_READ = "transfer-requests:read"  # 이관 요청: counts by clinic (a region, or all)
TRANSFERS_RELEASE = "transfers:release"  # a suspended institution reopened: withdraw its records
RETENTION_MANAGE = "retention:manage"  # sweep now, extend a record's retention
DESTRUCTIONS_READ = "destructions:read"  # the destruction log
SWEEPS_RUN = "sweeps:run"  # the release and segment sweeps
CLIENTS_MANAGE = "clients:manage"  # institution clients: register, list, revoke
STAFF_MANAGE = "staff:manage"  # staff accounts: create, roles, reset a second factor
DEAD_LETTERS_MANAGE = "dead-letters:manage"  # parked events: list, retry
KEYS_MANAGE = "keys:manage"  # key jobs (re-wrap)
AUDIT_READ = "audit:read"  # the audit trail, with the person behind each act
CLOSURES_MANAGE = "closures:manage"  # a closed clinic's custody (health centres: their region)

SCOPE_TEXT: dict[str, str] = {
    STATS_READ: "read the service's counts (staff)",
    PROXY_REVIEW: "review Art. 21 requests (reviewers)",
    LINKAGE_REVIEW: "review linkage candidates (reviewers)",
    TRANSFERS_OVERSEE: "see transfers (health centres: their region; platform: all)",
    TRANSFER_REQUESTS_READ: "see citizens' 이관 요청 counted by clinic (health centres: their "
    "region; platform: all)",
    TRANSFERS_RELEASE: "propose or confirm a transfer's release (platform staff, two people)",
    RETENTION_MANAGE: "run the retention sweep, extend a record's retention (platform)",
    DESTRUCTIONS_READ: "read the destruction log (platform, auditors)",
    SWEEPS_RUN: "run the release and segment sweeps (platform)",
    CLIENTS_MANAGE: "register, list and revoke institution clients (platform)",
    STAFF_MANAGE: "manage staff accounts (platform)",
    DEAD_LETTERS_MANAGE: "list and retry dead letters (platform)",
    KEYS_MANAGE: "run key jobs (platform)",
    AUDIT_READ: "read the audit trail (auditors)",
    CLOSURES_MANAGE: "set a closed clinic's custody (health centres: their region; platform: all)",
}

ROLE_SCOPES: dict[Role, frozenset[str]] = {
    "reviewer": frozenset({STATS_READ, PROXY_REVIEW, LINKAGE_REVIEW}),
    "health_centre": frozenset(
        {STATS_READ, TRANSFERS_OVERSEE, CLOSURES_MANAGE, TRANSFER_REQUESTS_READ}
    ),
    "platform": frozenset(
        {
            STATS_READ,
            TRANSFERS_OVERSEE,
            TRANSFER_REQUESTS_READ,
            TRANSFERS_RELEASE,
            RETENTION_MANAGE,
            DESTRUCTIONS_READ,
            SWEEPS_RUN,
            CLIENTS_MANAGE,
            STAFF_MANAGE,
            DEAD_LETTERS_MANAGE,
            KEYS_MANAGE,
            CLOSURES_MANAGE,
        }
    ),
    "auditor": frozenset({STATS_READ, AUDIT_READ, DESTRUCTIONS_READ}),
}

# What a machine account may be given: operations, never a decision about a person's records.
MACHINE_SCOPES = frozenset(
    {
        STATS_READ,
        TRANSFERS_OVERSEE,
        RETENTION_MANAGE,
        DESTRUCTIONS_READ,
        SWEEPS_RUN,
        CLIENTS_MANAGE,
        DEAD_LETTERS_MANAGE,
        KEYS_MANAGE,
    }
)
# Decisions that cannot be undone: proposed by one person, confirmed by another (DOMAIN.md).
TWO_PERSON_SCOPES = frozenset({PROXY_REVIEW, LINKAGE_REVIEW, TRANSFERS_RELEASE})

# How a citizen's access history names a staff act: the organisation and the role, never the
# person (the auditor sees the person).
ROLE_LABELS: dict[Role, str] = {
    "reviewer": "심사관",
    "health_centre": "보건소 담당자",
    "platform": "운영자",
    "auditor": "감사관",
}
SERVICE_LABEL = "보관기관"  # the service, as citizens know it (보관기관 심사관)


def scopes_for(roles: Iterable[str]) -> frozenset[str]:
    """The scopes a staff person's token carries: the union of their roles'. Unknown roles give
    nothing."""
    scopes: set[str] = set()
    for role in roles:
        scopes |= ROLE_SCOPES.get(role, frozenset())  # type: ignore[call-overload]
    return frozenset(scopes)


def region_limit(roles: Iterable[str], region: str | None) -> str | None:
    """The one region a person's oversight of transfers is held to: a health centre's, unless
    they are platform staff too (who see every region)."""
    held = set(roles)
    if "platform" in held or "health_centre" not in held:
        return None
    return region


def organisation_label(organisation: str) -> str:
    """보관기관, or 보건소 (<region>) for a health centre's staff."""
    if organisation == SERVICE_ORGANISATION:
        return SERVICE_LABEL
    if organisation.startswith("hc:"):
        return f"보건소({organisation.removeprefix('hc:')})"
    return organisation


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)  # type: ignore[call-overload]
