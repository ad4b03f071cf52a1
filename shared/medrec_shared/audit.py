"""Access events for `medrec.audit.v1`: who did what with whose records, in ids only."""

from typing import Literal

from medrec_shared.auth import Principal
from medrec_shared.events import AccessRecorded

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
