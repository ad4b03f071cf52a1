"""Access events for `medrec.audit.v1`: who did what with whose records, in ids only."""

import uuid
from typing import Literal

from medrec_shared.platform.auth import Principal
from medrec_shared.rules.events import AccessRecorded, StaffActed
from medrec_shared.rules.staff import SERVICE_ORGANISATION

Action = Literal["list", "view", "issuance_request", "download", "verify"]


def access_event(
    principal: Principal,
    action: Action,
    resource_type: str,
    resource_id: str,
    *,
    decision: Literal["allowed", "denied"] = "allowed",
    reason: str | None = None,
) -> AccessRecorded:
    """The subject is the person whose records these are; a guardian is recorded as the actor
    acting for them."""
    assert principal.person_key is not None, "access events are about a person's records"
    guardian = principal.actor is not None
    return AccessRecorded(
        subject_person_key=principal.person_key,
        actor_type="guardian" if guardian else "citizen",
        actor_id=principal.actor if guardian else principal.subject,
        acting_for=principal.subject if guardian else None,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        decision=decision,
        reason=reason,
    )


def recipient_download(
    subject_key: str, share_id: uuid.UUID, recipient: str, issuance_id: uuid.UUID
) -> AccessRecorded:
    """A shared document downloaded by its recipient (제출), as the subject's history shows it:
    the recipient as the citizen named them, and the share they opened."""
    return AccessRecorded(
        subject_person_key=subject_key,
        actor_type="recipient",
        actor_id=str(share_id),
        action="download",
        resource_type="issuance",
        resource_id=str(issuance_id),
        decision="allowed",
        reason=recipient,
    )


# Why one of medrec's services read a record's plaintext or a person's demographics: the caller
# says so on every internal read, and the person's access history shows it (issue #25, 6).
Purpose = Literal[
    "certified_copy", "linkage_review", "proxy_review", "fhir_export", "citizen_download"
]
PURPOSE_TEXT: dict[str, str] = {
    "fhir_export": "purpose: the person's own records as FHIR (catalog's $everything)",
    "certified_copy": "purpose: certified copy (issuance)",
    "linkage_review": "purpose: linkage review (an operator compares demographics)",
    "proxy_review": "purpose: Art. 21 review (an operator compares the patient's name)",
    "citizen_download": "purpose: the person's own retrieval (FHIR ITI-68, catalog)",
}
# What catalog's access_log stores (models.AccessLogEntry); the event is cut to fit where it is
# made, so a consumer never parks it.
ACTOR_ID_MAX, RESOURCE_ID_MAX, SUBJECT_MAX = 64, 64, 64


def system_access(
    client_id: str, subject_key: str, resource_type: str, resource_id: str, purpose: Purpose
) -> AccessRecorded:
    """A service client's read (content or demographics) as the subject's history shows it: who
    read (the client id), what (the record or person id) and why (the purpose the caller gave)."""
    return AccessRecorded(
        subject_person_key=subject_key[:SUBJECT_MAX],
        actor_type="service",
        actor_id=client_id[:ACTOR_ID_MAX],
        action="view",
        resource_type=resource_type,
        resource_id=resource_id[:RESOURCE_ID_MAX],
        decision="allowed",
        reason=PURPOSE_TEXT[purpose],
    )


def staff_acted(
    principal: Principal,
    act: str,
    resource_type: str,
    resource_id: str,
    *,
    subject_key: str | None = None,
    reason: str | None = None,
) -> StaffActed:
    """The audit trail's entry for an admin act (or a read of personal data) by `principal`: a
    staff person by login, or a machine account by client id."""
    staff = principal.staff
    return StaffActed(
        actor=principal.accountable[:ACTOR_ID_MAX],
        actor_kind="staff" if staff is not None else "machine",
        organisation=staff.organisation if staff is not None else SERVICE_ORGANISATION,
        roles=sorted(staff.roles) if staff is not None else [],
        act=act,
        resource_type=resource_type,
        resource_id=resource_id[:RESOURCE_ID_MAX],
        subject_person_key=subject_key[:SUBJECT_MAX] if subject_key else None,
        reason=reason,
    )


def staff_access(
    principal: Principal,
    role: str,
    action: Literal["view", "link", "unlink", "issuance_request", "retention_extension"],
    resource_type: str,
    resource_id: str,
    subject_key: str,
    *,
    reason: str | None = None,
) -> AccessRecorded:
    """A staff act on a person's records as that person's access history shows it: the
    organisation and the `role` the act was done in ("khis:reviewer", shown as 보관기관 심사관),
    never the person (medrec_shared.rules.staff.organisation_label and role_label)."""
    staff = principal.staff
    organisation = staff.organisation if staff is not None else SERVICE_ORGANISATION
    return AccessRecorded(
        subject_person_key=subject_key[:SUBJECT_MAX],
        actor_type="staff",
        actor_id=f"{organisation}:{role}"[:ACTOR_ID_MAX],
        action=action,
        resource_type=resource_type,
        resource_id=resource_id[:RESOURCE_ID_MAX],
        decision="allowed",
        reason=reason,
    )
