"""Who may see or copy what, in one place: every "may this principal…" decision of issuance is a
function here, free of I/O, so the routes only ask and a unit test can check each rule.

An issuance belongs to its requester: the same subject, and the same guardian when a guardian
asked for a child (a child's own copy is not the guardian's, and the reverse). What a principal
may not see is answered as if it did not exist (404), never as forbidden: another person's record
or copy must be indistinguishable from none."""

from dataclasses import dataclass

from medrec_issuance.models import Issuance, ProxyRequest
from medrec_shared.platform.auth import Principal
from medrec_shared.rules.contracts import CatalogedRecord


@dataclass(frozen=True)
class RequesterKey:
    """Whom an issuance belongs to: its requester's subject, and the acting guardian if any."""

    subject: str
    actor: str | None

    @classmethod
    def of(cls, principal: Principal) -> "RequesterKey":
        return cls(principal.subject, principal.actor)


def may_copy_record(principal: Principal, record: CatalogedRecord | None) -> bool:
    """A record (catalog's metadata, None when catalog has none) may go into a copy only when it
    is the principal's own, or their child's when a guardian acts for them."""
    return (
        principal.person_key is not None
        and record is not None
        and record.person_key == principal.person_key
    )


def may_see_issuance(principal: Principal, issuance: Issuance | None) -> bool:
    """Only the requester sees a request, downloads its copy or finds it in their list."""
    return issuance is not None and RequesterKey(
        issuance.requester_subject, issuance.requester_actor
    ) == RequesterKey.of(principal)


def may_request_for_another(principal: Principal) -> bool:
    """An Art. 21 request is made by a verified citizen for themselves as the relative or proxy,
    never by a guardian acting for a child."""
    return principal.person_key is not None and principal.actor is None


def may_see_proxy_request(principal: Principal, request: ProxyRequest | None) -> bool:
    """Only the citizen who submitted it, acting for themselves, sees a proxy request."""
    return (
        request is not None
        and request.requester_subject == principal.subject
        and not principal.actor
    )
