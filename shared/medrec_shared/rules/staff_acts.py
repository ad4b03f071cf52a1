"""A staff act as every service does it: by a person when it is a decision, by two different
people when it cannot be undone, and told to the audit trail in the act's own unit of work.

- A decision about a person's records (an Art. 21 review, a link, a release) is a person's to
  answer for: a machine account (a token without `staff`) is refused (`PersonRequired`, 403),
  whatever scopes it holds.
- What cannot be undone (`medrec_shared.rules.staff.TWO_PERSON_SCOPES`) is proposed by one person
  and confirmed by another: `second_approval` says which the caller's approval is; the proposer
  approving again is refused (`SamePerson`, 409) and changes nothing.
- Every act (and every staff read of personal data) is announced as StaffActed on the audit
  topic, keyed by the actor, in the caller's session: it is written with the act or not at all.
"""

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_shared.platform.auth import Principal, StaffMember
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.problems import Conflict, Forbidden
from medrec_shared.rules.audit import ACTOR_ID_MAX, staff_acted
from medrec_shared.rules.events import AccessRecorded


class PersonRequired(Forbidden):
    type, title = "person-required", "A decision is a person's: a machine account cannot make it"


class SamePerson(Conflict):
    type, title = "second-person-required", "Another person must confirm what you proposed"


def deciding_person(principal: Principal) -> StaffMember:
    """The staff person deciding; `PersonRequired` for a machine account."""
    if principal.staff is None:
        raise PersonRequired("Sign in as a member of staff to decide this.")
    return principal.staff


def second_approval(proposed_by: str | None, principal: Principal) -> bool:
    """Whether the caller's approval confirms a proposal (True) or makes one (False, nobody
    proposed yet). The proposer cannot confirm their own proposal."""
    deciding_person(principal)
    if proposed_by is None:
        return False
    if proposed_by == principal.accountable[:ACTOR_ID_MAX]:
        raise SamePerson("You proposed this; a different person confirms it.")
    return True


def announce_act(
    session: AsyncSession,
    topic: str,
    principal: Principal,
    act: str,
    resource_type: str,
    resource_id: str,
    *,
    subject_key: str | None = None,
    reason: str | None = None,
) -> None:
    """The act in the audit trail (StaffActed, keyed by the actor), with the act's own writes."""
    event = staff_acted(
        principal, act, resource_type, resource_id, subject_key=subject_key, reason=reason
    )
    announce(session, topic, event.actor, event)


def announce_access(session: AsyncSession, topic: str, access: AccessRecorded) -> None:
    """A staff access (medrec_shared.rules.audit.staff_access) in the person's history, keyed by
    them as every access is."""
    announce(session, topic, access.subject_person_key, access)


def dead_letter_retry_act(topic: str) -> Callable[[AsyncSession, Principal, int], None]:
    """What a service's dead-letter routes (medrec_shared.platform.deadletters) record of a retry
    asked for: an act in the audit trail."""

    def record(session: AsyncSession, principal: Principal, entry_id: int) -> None:
        announce_act(session, topic, principal, "dead_letter.retry", "dead_letter", str(entry_id))

    return record
