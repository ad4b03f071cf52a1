"""Every route of every service × every role: who gets past authorization. The routes come from
each running service's own route table (its OpenAPI document), so a new route without a line in
MATRIX fails here until someone decides who may call it.

"May" means authorization let the call through: any answer but 401, 403 or a 5xx (ids in paths
are made up, so 404 and 422 are the route's own logic). Everyone else: 401 without a token, 403
with a token that may not (or 404 where the API hides that a resource exists).

Admin routes are each held to the one scope of their act (medrec_shared.rules.staff): every staff
role of the cast (two reviewers, two health centres, platform staff, an auditor) and the machine
account is checked on every one, and the roles that may are derived from what each role's token
carries (`holding`), never listed by hand, so a role given a scope shows up here at once.
"""

import uuid
from dataclasses import dataclass, field

import httpx
import pytest

from medrec_devstack.cluster import SERVICES, Cluster
from medrec_shared.rules import staff
from tests.support.actors import bearer
from tests.support.sweeps import CODE_X, ROLES, STAFF_ROLES, Cast

pytestmark = pytest.mark.e2e

CITIZENS = frozenset({"citizen_a", "citizen_b"})
SUBJECTS = CITIZENS | {"guardian"}  # a citizen, or a guardian acting for a child
INSTITUTIONS = frozenset({"institution_x", "institution_y"})
EVERYONE = frozenset(ROLES)
MACHINE = frozenset({"machine", "operator"})  # the machine account (both names of its token)


def holding(scope: str) -> frozenset[str]:
    """The cast's roles whose token carries `scope`: a staff person's by their roles
    (staff.scopes_for), the machine account's by staff.MACHINE_SCOPES."""
    people = {
        role for role, (_, roles, _) in STAFF_ROLES.items() if scope in staff.scopes_for(roles)
    }
    return frozenset(people) | (MACHINE if scope in staff.MACHINE_SCOPES else frozenset())


STATS = holding(staff.STATS_READ)
PROXY_REVIEW = holding(staff.PROXY_REVIEW)
LINKAGE_REVIEW = holding(staff.LINKAGE_REVIEW)
OVERSEE = holding(staff.TRANSFERS_OVERSEE)
RELEASE = holding(staff.TRANSFERS_RELEASE)
RETENTION = holding(staff.RETENTION_MANAGE)
DESTRUCTIONS = holding(staff.DESTRUCTIONS_READ)
SWEEPS = holding(staff.SWEEPS_RUN)
CLIENTS = holding(staff.CLIENTS_MANAGE)
DEAD_LETTERS = holding(staff.DEAD_LETTERS_MANAGE)
AUDIT = holding(staff.AUDIT_READ)
TRANSFER_REQUESTS = holding(staff.TRANSFER_REQUESTS_READ)
STAFF_ACCOUNTS = holding(staff.STAFF_MANAGE)
CLOSURES = holding(staff.CLOSURES_MANAGE)


@dataclass(frozen=True)
class Rule:
    may: frozenset[str]
    # Roles whose refusal is another status than 403 (e.g. 404: not a resource they may see).
    refused_as: dict[str, int] = field(default_factory=dict)


MATRIX: dict[tuple[str, str, str], Rule] = {
    # identity
    ("identity", "GET", "/.well-known/jwks.json"): Rule(EVERYONE),
    ("identity", "GET", "/.well-known/openid-configuration"): Rule(EVERYONE),
    ("identity", "GET", "/.well-known/oauth-authorization-server"): Rule(EVERYONE),
    ("identity", "POST", "/oauth/token"): Rule(frozenset()),  # HTTP Basic, never a bearer token
    ("identity", "POST", "/v1/verifications"): Rule(EVERYONE),
    ("identity", "POST", "/v1/verifications/{verification_id}/confirm"): Rule(EVERYONE),
    ("identity", "POST", "/v1/sandbox/family-links"): Rule(EVERYONE),
    ("identity", "GET", "/v1/me"): Rule(SUBJECTS),
    ("identity", "GET", "/v1/me/children"): Rule(CITIZENS),
    ("identity", "POST", "/v1/me/children/{person_id}/token"): Rule(
        frozenset({"citizen_a"}),
        refused_as={"citizen_b": 404},  # not B's child: not B's to see
    ),
    # clients:manage: platform staff and the machine account ("operator" is its old name)
    ("identity", "GET", "/v1/clients"): Rule(CLIENTS),
    ("identity", "POST", "/v1/clients"): Rule(CLIENTS),
    ("identity", "DELETE", "/v1/clients/{client_id}"): Rule(CLIENTS),
    # staff sign-in: no token needed (the console calls these with what the person typed)
    ("identity", "POST", "/v1/staff/sessions"): Rule(EVERYONE),
    ("identity", "POST", "/v1/staff/password"): Rule(EVERYONE),
    ("identity", "POST", "/v1/staff/sessions/refresh"): Rule(EVERYONE),
    ("identity", "POST", "/v1/staff/sessions/end"): Rule(EVERYONE),
    ("identity", "POST", "/v1/staff/oidc/start"): Rule(EVERYONE),
    ("identity", "POST", "/v1/staff/oidc/finish"): Rule(EVERYONE),
    # staff accounts: staff:manage, platform staff only (never a machine)
    ("identity", "GET", "/v1/admin/staff"): Rule(STAFF_ACCOUNTS),
    ("identity", "POST", "/v1/admin/staff"): Rule(STAFF_ACCOUNTS),
    ("identity", "PUT", "/v1/admin/staff/{account_id}/roles"): Rule(STAFF_ACCOUNTS),
    ("identity", "POST", "/v1/admin/staff/{account_id}/second-factor-reset"): Rule(STAFF_ACCOUNTS),
    ("identity", "POST", "/v1/admin/staff/{account_id}/password-reset"): Rule(STAFF_ACCOUNTS),
    ("identity", "POST", "/v1/admin/staff/{account_id}/disable"): Rule(STAFF_ACCOUNTS),
    ("identity", "GET", "/internal/v1/persons/{person_id}/demographics"): Rule(
        frozenset({"catalog_service"})
    ),
    # the phone a notice is sent to (#29): catalog's client only (contact:read)
    ("identity", "GET", "/internal/v1/persons/{person_key}/contact"): Rule(
        frozenset({"catalog_service"})
    ),
    # catalog's FHIR search by patient.identifier: an RRN → its person key (#30)
    ("identity", "POST", "/internal/v1/person-keys"): Rule(frozenset({"catalog_service"})),
    # ingest
    ("ingest", "GET", "/v1/schemas/record"): Rule(EVERYONE),
    ("ingest", "POST", "/v1/transfers"): Rule(INSTITUTIONS),
    ("ingest", "POST", "/fhir"): Rule(INSTITUTIONS),  # ITI-65 (transfer:write)
    ("ingest", "GET", "/fhir/metadata"): Rule(EVERYONE),
    ("ingest", "GET", "/v1/transfers"): Rule(INSTITUTIONS),
    ("ingest", "GET", "/v1/transfers/{transfer_id}"): Rule(INSTITUTIONS),
    ("ingest", "POST", "/v1/transfers/{transfer_id}/complete"): Rule(INSTITUTIONS),
    ("ingest", "PUT", "/v1/transfers/{transfer_id}/records/{external_id}"): Rule(INSTITUTIONS),
    ("ingest", "PUT", "/v1/transfers/{transfer_id}/records/{external_id}/content"): Rule(
        INSTITUTIONS
    ),
    ("ingest", "POST", "/v1/transfers/{transfer_id}/records:batch"): Rule(INSTITUTIONS),
    ("ingest", "GET", "/v1/transfers/{transfer_id}/export"): Rule(INSTITUTIONS),
    # the 이관확인서 (#29): the depositor's; confirmed by a person of the region, never a machine
    ("ingest", "GET", "/v1/transfers/{transfer_id}/receipt"): Rule(INSTITUTIONS),
    ("ingest", "POST", "/v1/admin/transfers/{transfer_id}/receipt/confirm"): Rule(
        OVERSEE - MACHINE
    ),
    ("issuance", "GET", "/internal/v1/transfer-receipts/{transfer_id}"): Rule(INSTITUTIONS),
    # a person's decision: held to platform staff, never the machine account
    ("ingest", "POST", "/v1/admin/transfers/{transfer_id}/release"): Rule(RELEASE),
    ("ingest", "GET", "/internal/v1/records/{record_id}"): Rule(frozenset({"catalog_service"})),
    ("ingest", "POST", "/internal/v1/records:metadata"): Rule(frozenset({"catalog_service"})),
    # issuance for copies; catalog for $everything and a citizen's own ITI-68 retrieval (#30)
    ("ingest", "GET", "/internal/v1/records/{record_id}/content"): Rule(
        frozenset({"issuance_service", "catalog_service"})
    ),
    ("ingest", "GET", "/internal/v1/records/{record_id}/demographics"): Rule(
        frozenset({"catalog_service"})
    ),
    ("ingest", "POST", "/internal/v1/records:names"): Rule(frozenset({"issuance_service"})),
    ("ingest", "POST", "/internal/v1/records:document-facts"): Rule(
        frozenset({"issuance_service"})
    ),
    ("ingest", "POST", "/v1/admin/releases/sweep"): Rule(SWEEPS),
    ("ingest", "POST", "/v1/admin/segments/sweep"): Rule(SWEEPS),
    ("ingest", "GET", "/v1/admin/destructions"): Rule(DESTRUCTIONS),
    # health centres too (their region only: a made-up id is 404 for everyone who may)
    ("ingest", "GET", "/v1/admin/transfers"): Rule(OVERSEE),
    ("ingest", "GET", "/v1/admin/transfers/{transfer_id}"): Rule(OVERSEE),
    # catalog
    ("catalog", "GET", "/v1/institutions"): Rule(EVERYONE),
    ("catalog", "GET", "/v1/institutions/{code}"): Rule(EVERYONE),
    # closures:manage: health centres (their region; an unknown code is 404 to them too) and
    # platform staff
    ("catalog", "PUT", "/v1/admin/institutions/{code}/custody"): Rule(CLOSURES),
    ("catalog", "GET", "/v1/me/records"): Rule(SUBJECTS),
    # IHE MHD Document Responder (#30): the subject's own records; the base's statement is public
    ("catalog", "GET", "/fhir/metadata"): Rule(EVERYONE),
    ("catalog", "GET", "/fhir/DocumentReference"): Rule(SUBJECTS),
    ("catalog", "POST", "/fhir/DocumentReference/_search"): Rule(SUBJECTS),
    ("catalog", "GET", "/fhir/Binary/{record_id}"): Rule(SUBJECTS),
    ("catalog", "GET", "/v1/me/records/summary"): Rule(SUBJECTS),
    # another person's id is 404 (as a made-up one is): the subject's own only
    ("catalog", "GET", "/fhir/Patient/{person_id}/$everything"): Rule(SUBJECTS),
    ("catalog", "GET", "/v1/me/access-log"): Rule(SUBJECTS),
    ("catalog", "POST", "/v1/me/transfer-requests"): Rule(SUBJECTS),
    ("catalog", "GET", "/v1/me/transfer-requests"): Rule(SUBJECTS),
    ("catalog", "GET", "/v1/admin/transfer-requests"): Rule(TRANSFER_REQUESTS),
    # notices (#29): a subject's own, a guardian's their own (not the child's)
    ("catalog", "GET", "/v1/me/notices"): Rule(SUBJECTS),
    ("catalog", "POST", "/v1/me/notices/{notice_id}/read"): Rule(SUBJECTS),
    ("catalog", "GET", "/v1/me/notice-preferences"): Rule(SUBJECTS),
    ("catalog", "PUT", "/v1/me/notice-preferences"): Rule(SUBJECTS),
    ("catalog", "GET", "/internal/v1/records/{record_id}"): Rule(frozenset({"issuance_service"})),
    ("catalog", "GET", "/internal/v1/persons/{person_key}/records"): Rule(
        frozenset({"issuance_service"})
    ),
    ("catalog", "GET", "/v1/admin/stats"): Rule(STATS),
    ("catalog", "POST", "/v1/admin/retention/sweep"): Rule(RETENTION),
    ("catalog", "POST", "/v1/admin/records/{record_id}/retention-extension"): Rule(RETENTION),
    ("catalog", "GET", "/v1/admin/linkage-candidates"): Rule(LINKAGE_REVIEW),
    ("catalog", "GET", "/v1/admin/linkage-candidates/{candidate_id}"): Rule(LINKAGE_REVIEW),
    ("catalog", "POST", "/v1/admin/linkage-candidates/{candidate_id}/approve"): Rule(
        LINKAGE_REVIEW
    ),
    ("catalog", "POST", "/v1/admin/linkage-candidates/{candidate_id}/reject"): Rule(LINKAGE_REVIEW),
    ("catalog", "POST", "/v1/admin/records/{record_id}/unlink"): Rule(LINKAGE_REVIEW),
    ("catalog", "GET", "/v1/admin/audit"): Rule(AUDIT),
    # issuance
    ("issuance", "GET", "/v1/verify"): Rule(EVERYONE),
    ("issuance", "POST", "/v1/verify"): Rule(EVERYONE),
    ("issuance", "POST", "/v1/issuances"): Rule(SUBJECTS),
    ("issuance", "POST", "/v1/issuances:preview"): Rule(SUBJECTS),
    ("issuance", "GET", "/v1/issuances"): Rule(SUBJECTS),
    ("issuance", "GET", "/v1/issuances/{issuance_id}"): Rule(SUBJECTS),
    ("issuance", "GET", "/v1/issuances/{issuance_id}/document"): Rule(SUBJECTS),
    ("issuance", "POST", "/v1/issuances/{issuance_id}/shares"): Rule(SUBJECTS),
    ("issuance", "GET", "/v1/issuances/{issuance_id}/shares"): Rule(SUBJECTS),
    ("issuance", "DELETE", "/v1/issuances/{issuance_id}/shares/{share_id}"): Rule(SUBJECTS),
    # The recipient of a share (제출): no token of ours, the link's token and the access code.
    ("issuance", "POST", "/v1/shares/{token}/document"): Rule(EVERYONE),
    ("issuance", "POST", "/v1/proxy-requests"): Rule(CITIZENS),
    ("issuance", "GET", "/v1/proxy-requests"): Rule(CITIZENS),  # a guardian acting: 403
    ("issuance", "GET", "/v1/proxy-requests/{request_id}"): Rule(SUBJECTS),
    ("issuance", "GET", "/v1/admin/proxy-requests"): Rule(PROXY_REVIEW),
    ("issuance", "GET", "/v1/admin/proxy-requests/{request_id}"): Rule(PROXY_REVIEW),
    ("issuance", "GET", "/v1/admin/proxy-requests/{request_id}/documents/{kind}"): Rule(
        PROXY_REVIEW
    ),
    ("issuance", "POST", "/v1/admin/proxy-requests/{request_id}/approve"): Rule(PROXY_REVIEW),
    ("issuance", "POST", "/v1/admin/proxy-requests/{request_id}/reject"): Rule(PROXY_REVIEW),
    # dead letters: platform staff and the machine account, in every service that consumes events
    ("ingest", "GET", "/v1/admin/dead-letters"): Rule(DEAD_LETTERS),
    ("ingest", "POST", "/v1/admin/dead-letters/{entry_id}/retry"): Rule(DEAD_LETTERS),
    ("catalog", "GET", "/v1/admin/dead-letters"): Rule(DEAD_LETTERS),
    ("catalog", "POST", "/v1/admin/dead-letters/{entry_id}/retry"): Rule(DEAD_LETTERS),
    ("issuance", "GET", "/v1/admin/dead-letters"): Rule(DEAD_LETTERS),
    ("issuance", "POST", "/v1/admin/dead-letters/{entry_id}/retry"): Rule(DEAD_LETTERS),
}
# Admin jobs in ingest (#27, medrec-admin): the key re-wrap needs keys:manage, the linkage
# backfill sweeps:run; both are the machine account's (MACHINE_SCOPES; "operator" is the same
# client) and platform staff's.
JOB_RUNNERS = frozenset({"operator", "machine", "platform"})
MATRIX |= {
    ("ingest", "POST", "/v1/admin/key-jobs"): Rule(JOB_RUNNERS),
    ("ingest", "GET", "/v1/admin/key-jobs"): Rule(JOB_RUNNERS),
    ("ingest", "GET", "/v1/admin/key-jobs/{job_id}"): Rule(JOB_RUNNERS),
    ("ingest", "POST", "/v1/admin/linkage-jobs"): Rule(JOB_RUNNERS),
    ("ingest", "GET", "/v1/admin/linkage-jobs"): Rule(JOB_RUNNERS),
    ("ingest", "GET", "/v1/admin/linkage-jobs/{job_id}"): Rule(JOB_RUNNERS),
}
NOT_THE_API = {"/healthz", "/readyz"}
# Form bodies that reach the route's own checks (a JSON `{}` would be refused before them).
FORMS = {
    "/oauth/token": {"grant_type": "client_credentials"},
    "/v1/proxy-requests": {"request": "{}"},
    "/fhir/DocumentReference/_search": {"patient": "Patient/no-one", "_count": "1"},
}


def routes(cluster: Cluster) -> set[tuple[str, str, str]]:
    found = set()
    for service in SERVICES:
        document = httpx.get(f"{cluster.url(service)}/openapi.json", timeout=30).json()
        for path, operations in document["paths"].items():
            if path in NOT_THE_API:
                continue
            found |= {(service, method.upper(), path) for method in operations}
    return found


def test_every_route_has_an_entry_in_the_matrix(cluster: Cluster) -> None:
    served = routes(cluster)
    assert served - MATRIX.keys() == set(), "routes without a line in MATRIX"
    assert MATRIX.keys() - served == set(), "lines in MATRIX for routes that are gone"


def _path(template: str, cast: Cast) -> str:
    values = {
        "{code}": CODE_X,
        "{external_id}": "m-1",
        "{kind}": "consent_form",
        "{person_key}": "0" * 64,
        "{client_id}": "no-such-client",
        "{person_id}": cast.child_person_id() if "{person_id}" in template else "",
    }
    for name, value in values.items():
        template = template.replace(name, value)
    while "{" in template:  # any other id: a made-up one
        start, end = template.index("{"), template.index("}")
        template = template[:start] + str(uuid.uuid4()) + template[end + 1 :]
    return template


def test_who_gets_past_authorization(cluster: Cluster, cast: Cast) -> None:
    wrong = []
    for (service, method, template), rule in sorted(MATRIX.items()):
        path = _path(template, cast)
        for role in ROLES:
            token = cast.token(role)
            response = httpx.request(
                method,
                cluster.url(service) + path,
                headers=bearer(token) if token else {},
                data=FORMS.get(template),
                json={} if method in ("POST", "PUT") and template not in FORMS else None,
                timeout=60,
            )
            status = response.status_code
            if role in rule.may:
                ok = status not in (401, 403) and status < 500
                expected = "past authorization"
            elif role == "anonymous" or template == "/oauth/token":
                ok, expected = status == 401, "401"
            else:
                refused = rule.refused_as.get(role, 403)
                ok, expected = status == refused, str(refused)
            if not ok:
                wrong.append(f"{role:16} {method:6} {service}{template}: {status}, not {expected}")
    assert wrong == [], "\n".join(wrong)


def test_no_decision_is_a_machine_accounts_and_every_staff_role_is_checked() -> None:
    """The decisions two people make are held to scopes no machine account carries; every staff
    role of the cast meets every admin route."""
    for scope in staff.TWO_PERSON_SCOPES:
        assert not holding(scope) & MACHINE
    assert set(STAFF_ROLES) <= set(ROLES) and set(ROLES) >= MACHINE
