"""Relatives and proxies under Art. 21, the rules: a verified citizen asks for another person
with the documents the article asks of their relation (kept encrypted, like every copy);
reviewers (people, never a machine account) review each request once, approving (one certified
copy of the patient's records for the requester) or rejecting, with a reason. A copy given away
cannot be taken back, so an approval takes two people: the first reviewer's approval is a
proposal (the request stays `submitted` for its requester, with no copy), a different
reviewer's confirms it and issues the copy; the proposer approving again is refused (409). One
reviewer's rejection decides. There is no automatic online access for them. Every act goes to
the patient's access log (the reviewer as 보관기관 심사관) and to the audit trail (the reviewer by
login).

An RRN is no proof of anything (anyone may type a stranger's): the reviewer reads the patient as
typed (name, and the birth date and sex the RRN gives) beside the documents and the names the
records under that RRN were deposited under, and an approval copies only the records whose
deposited name matches the typed one, compared as linkage compares names
(`medrec_shared.rules.linkage.normalise_name`). An approval that matches none copies nothing and
says so.

`ProxyRequests` holds the collaborators; its methods, like the functions here, take the caller's
session and never commit: the request owns the transaction."""

import json
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_issuance.access import may_request_for_another, may_see_proxy_request
from medrec_issuance.issuances.service import Issuances, NewIssuance
from medrec_issuance.models import (
    ProxyDocument,
    ProxyRequest,
    ProxyRequestStatus,
    Relation,
)
from medrec_issuance.notices import ask_notice
from medrec_issuance.proxies.repository import ProxyRequestRepository
from medrec_issuance.proxies.schemas import (
    HeldName,
    OwnProxyRequest,
    PatientAsTyped,
    ProxyRequestDetail,
    ProxyRequestForReview,
    ProxyRequestIn,
    for_review,
    own_out,
)
from medrec_issuance.settings import IssuanceSettings
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.clock import Clock, korean_date
from medrec_shared.platform.crypto import Keyring, blind_index, seal, unseal
from medrec_shared.platform.ids import new_id
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.pages import Page, page_of
from medrec_shared.platform.problems import Conflict, Forbidden, NotFound, ValidationFailed
from medrec_shared.platform.vault import Vault
from medrec_shared.rules.audit import ACTOR_ID_MAX, Action, staff_access
from medrec_shared.rules.clients import CatalogClient, IngestClient
from medrec_shared.rules.contracts import RecordSummary
from medrec_shared.rules.events import AccessRecorded
from medrec_shared.rules.linkage import normalise_name
from medrec_shared.rules.notices import NoticeKind
from medrec_shared.rules.rrn import parse_rrn
from medrec_shared.rules.staff_acts import (
    announce_access,
    announce_act,
    deciding_person,
    second_approval,
)

PATIENT_CONTEXT = b"issuance.proxy.patient"
# Before the reviewer's reason (REVIEW_REASON_MAX) in the patient's access history.
APPROVED_WITH_NOTHING_TO_COPY = "approved, nothing to copy (no record under the name given)"
# The role an Art. 21 review is done in, as the patient's access history names it.
REVIEWER = "reviewer"

REQUIRED_DOCUMENTS: dict[Relation, frozenset[str]] = {
    Relation.spouse: frozenset({"consent_form", "kinship_certificate"}),
    Relation.lineal_relative: frozenset({"consent_form", "kinship_certificate"}),
    Relation.spouse_lineal_ascendant: frozenset({"consent_form", "kinship_certificate"}),
    Relation.sibling: frozenset({"consent_form", "kinship_certificate"}),
    Relation.proxy: frozenset({"consent_form", "power_of_attorney"}),
    Relation.relative_of_deceased_or_incapable: frozenset({"kinship_certificate"}),
}


class AlreadyReviewed(Conflict):
    type, title = "already-reviewed", "The request has been reviewed already"


@dataclass(frozen=True)
class Upload:
    """A supporting document as received: its declared type and its bytes."""

    content_type: str
    data: bytes


def check_may_submit(principal: Principal) -> None:
    if not may_request_for_another(principal):
        raise Forbidden("A citizen asks for themselves here, not as a guardian.")


def require_documents(relation: Relation, provided: Iterable[str]) -> None:
    """Each relation brings the documents Art. 21 asks of it; one problem lists all missing."""
    missing = REQUIRED_DOCUMENTS[relation] - set(provided)
    if missing:
        raise ValidationFailed(
            errors=[{"field": k, "message": f"required for {relation}"} for k in sorted(missing)]
        )


def proxy_audit(
    request: ProxyRequest, action: Action, *, decision: Literal["allowed", "denied"], reason: str
) -> AccessRecorded:
    return AccessRecorded(
        subject_person_key=request.patient_person_key,
        actor_type="proxy",
        actor_id=request.requester_subject,
        action=action,
        resource_type="proxy_request",
        resource_id=str(request.request_id),
        decision=decision,
        reason=reason,
    )


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def request_of(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> ProxyRequest:
    """The requester's own request; anyone else's is not found."""
    proxy = await ProxyRequestRepository(session).get(request_id)
    if proxy is None or not may_see_proxy_request(principal, proxy):
        raise NotFound("No such request.")
    return proxy


async def requests_of(
    session: AsyncSession, principal: Principal, *, limit: int, before: uuid.UUID | None
) -> Page[OwnProxyRequest]:
    """The caller's own requests, newest first. A guardian acting for a child has none here:
    requests are made, and followed, by a citizen for themselves (as `request_of`)."""
    check_may_submit(principal)
    rows = await ProxyRequestRepository(session).of_requester(principal.subject, limit + 1, before)
    return page_of(rows, limit, own_out, lambda p: str(p.request_id))


async def review_queue(
    session: AsyncSession,
    status: ProxyRequestStatus | None,
    *,
    limit: int,
    after: uuid.UUID | None,
) -> Page[ProxyRequestForReview]:
    """Requests in `status` (all when None), `limit` of them from `after`, with their documents."""
    repository = ProxyRequestRepository(session)
    rows = await repository.by_status(status, limit + 1, after)
    reviews = {}
    for proxy in rows[:limit]:
        reviews[proxy.request_id] = for_review(proxy, await repository.documents(proxy.request_id))
    return page_of(rows, limit, lambda p: reviews[p.request_id], lambda p: str(p.request_id))


async def document_of(session: AsyncSession, request_id: uuid.UUID, kind: str) -> ProxyDocument:
    document = await ProxyRequestRepository(session).document(request_id, kind)
    if document is None:
        raise NotFound("No such document.")
    return document


def check_reviewable(proxy: ProxyRequest | None) -> ProxyRequest:
    """A request is reviewed once: approved or rejected, never both, never twice."""
    if proxy is None:
        raise NotFound("No such request.")
    if proxy.status != ProxyRequestStatus.submitted:
        raise AlreadyReviewed(f"It was {proxy.status}.")
    return proxy


def mark_reviewed(
    proxy: ProxyRequest,
    status: Literal[ProxyRequestStatus.approved, ProxyRequestStatus.rejected],
    *,
    operator: Principal,
    reason: str,
    now: datetime,
) -> None:
    proxy.status, proxy.reason = status, reason
    proxy.reviewed_by, proxy.reviewed_at = operator.accountable[:ACTOR_ID_MAX], now


def propose_approval(proxy: ProxyRequest, *, by: Principal, reason: str, now: datetime) -> None:
    """The first reviewer's approval: kept until another confirms it (the request stays
    `submitted`, with no copy)."""
    proxy.proposed_by, proxy.proposed_at = by.accountable[:ACTOR_ID_MAX], now
    proxy.proposal_reason = reason


def same_name(typed: str, held: str | None) -> bool:
    return held is not None and normalise_name(typed) == normalise_name(held)


def records_under_name(
    records: Sequence[RecordSummary], names: Mapping[uuid.UUID, str], typed: str
) -> list[RecordSummary]:
    """The records whose deposited patient name is the typed one; a record whose name ingest
    did not answer (destroyed since) is not copied."""
    return [r for r in records if same_name(typed, names.get(r.record_id))]


def held_names(names: Mapping[uuid.UUID, str], typed: str) -> list[HeldName]:
    """Each name the records were deposited under (as deposited), how many, and whether it is
    the typed one; matching first."""
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    held = [HeldName(name=n, records=c, matches=same_name(typed, n)) for n, c in counts.items()]
    return sorted(held, key=lambda h: (not h.matches, h.name))


def masked_rrn(rrn: str) -> str:
    """`YYMMDD-G******`: the birth date and sex a reviewer compares, not the number."""
    return rrn[:8] + "*" * 6


def patient_as_typed(patient: Mapping[str, str]) -> PatientAsTyped:
    rrn, born, sex = parse_rrn(patient["rrn"], today=date.max)
    return PatientAsTyped(name=patient["name"], rrn=masked_rrn(rrn), birth_date=born, sex=sex)


def typed_patient(keyring: Keyring, proxy: ProxyRequest) -> dict[str, str]:
    """{name, rrn} as the requester typed them (sealed since)."""
    patient: dict[str, str] = json.loads(
        unseal(keyring, proxy.patient_sealed, context=PATIENT_CONTEXT)
    )
    return patient


def approved_issuance(
    proxy: ProxyRequest, patient_name: str, records: Sequence[RecordSummary]
) -> NewIssuance:
    """What an approval issues: one copy of the patient's records (at the named institution if
    the request named one) for the requester, who acts for themselves."""
    return NewIssuance(
        requester_subject=proxy.requester_subject,
        requester_actor=None,
        requester_person_key=proxy.requester_person_key,
        subject_person_key=proxy.patient_person_key,
        subject_name=patient_name,
        record_ids=[r.record_id for r in records],
        purpose=f"Art. 21 ({proxy.relation})",
    )


async def _submitted(session: AsyncSession, request_id: uuid.UUID) -> ProxyRequest:
    return check_reviewable(await ProxyRequestRepository(session).get(request_id, for_update=True))


@dataclass(kw_only=True)
class ProxyRequests:
    """Art. 21 requests submitted and reviewed: the collaborators held once (the composition
    root builds it), each method given the caller's session and the request's own data."""

    settings: IssuanceSettings
    clock: Clock
    vault: Vault
    catalog: CatalogClient
    ingest: IngestClient
    issuances: Issuances

    async def submit(
        self,
        session: AsyncSession,
        principal: Principal,
        body: ProxyRequestIn,
        documents: Mapping[str, Upload],
    ) -> ProxyRequest:
        """Records a relative's or proxy's request with its documents, encrypted, for review.
        The patient is found by the keyed hash of their RRN; their name and RRN are kept
        sealed."""
        assert principal.person_key is not None  # check_may_submit
        index_key = self.settings.person_index_key.get_secret_value().encode()
        patient_key = blind_index(index_key, body.patient.rrn)
        if patient_key == principal.person_key:
            raise ValidationFailed(
                errors=[
                    {"field": "request.patient", "message": "ask for your own records directly"}
                ]
            )
        proxy = ProxyRequest(
            request_id=new_id(),
            requester_subject=principal.subject,
            requester_person_key=principal.person_key,
            patient_person_key=patient_key,
            patient_sealed=seal(
                self.vault.keyring,
                body.patient.model_dump_json().encode(),
                context=PATIENT_CONTEXT,
            ),
            relation=body.relation,
            institution_code=body.institution_code,
            status=ProxyRequestStatus.submitted,
            created_at=self.clock.now(),
        )
        repository = ProxyRequestRepository(session)
        await repository.add(proxy)
        for kind, upload in documents.items():
            stored = await self.vault.put(f"proxy/{proxy.request_id}/{kind}", _one(upload.data))
            await repository.add_document(
                ProxyDocument(
                    request_id=proxy.request_id,
                    kind=kind,
                    content_type=upload.content_type,
                    size=stored.size,
                    sha256=stored.sha256,
                    object_key=stored.object_key,
                    kek_id=stored.kek_id,
                    wrapped_dek=stored.wrapped_dek,
                )
            )
        audit = proxy_audit(
            proxy,
            "issuance_request",
            decision="allowed",
            reason=f"Art. 21 request as {body.relation}",
        )
        announce(session, self.settings.topic_audit, patient_key, audit)
        return proxy

    async def held_records(
        self, proxy: ProxyRequest
    ) -> tuple[list[RecordSummary], dict[uuid.UUID, str]]:
        """The records an approval would draw from (the patient's, at the named institution if
        one was named) and the name each was deposited under."""
        records = await self.catalog.records_of(proxy.patient_person_key, proxy.institution_code)
        names = await self.ingest.patient_names([r.record_id for r in records])
        return records, names

    def _reviewer_read(
        self, session: AsyncSession, by: Principal, proxy: ProxyRequest, act: str, reason: str
    ) -> None:
        """A reviewer read personal data of the patient's: in their access history (as
        보관기관 심사관) and in the audit trail (who)."""
        request_id = str(proxy.request_id)
        access = staff_access(
            by,
            REVIEWER,
            "view",
            "proxy_request",
            request_id,
            proxy.patient_person_key,
            reason=reason,
        )
        announce_access(session, self.settings.topic_audit, access)
        announce_act(
            session,
            self.settings.topic_audit,
            by,
            act,
            "proxy_request",
            request_id,
            subject_key=proxy.patient_person_key,
            reason=reason,
        )

    async def document_for_review(
        self, session: AsyncSession, by: Principal, request_id: uuid.UUID, kind: str
    ) -> ProxyDocument:
        """A supporting document for its reviewer: an audited read."""
        proxy = await ProxyRequestRepository(session).get(request_id)
        if proxy is None:
            raise NotFound("No such request.")
        document = await document_of(session, request_id, kind)
        self._reviewer_read(
            session, by, proxy, "proxy_request.read_document", f"Art. 21 review: the {kind}"
        )
        return document

    async def review_of(
        self, session: AsyncSession, operator: Principal, request_id: uuid.UUID
    ) -> ProxyRequestDetail:
        """One request for its reviewer, recorded in the patient's access history (a reviewer
        read the name typed for them and the names their records hold) and the audit trail."""
        repository = ProxyRequestRepository(session)
        proxy = await repository.get(request_id)
        if proxy is None:
            raise NotFound("No such request.")
        patient = typed_patient(self.vault.keyring, proxy)
        _, names = await self.held_records(proxy)
        held = held_names(names, patient["name"])
        self._reviewer_read(
            session,
            operator,
            proxy,
            "proxy_request.view",
            "Art. 21 review: the request beside the names held",
        )
        return ProxyRequestDetail(
            **for_review(proxy, await repository.documents(request_id)).model_dump(),
            patient=patient_as_typed(patient),
            held_names=held,
            name_matches=any(h.matches for h in held),
        )

    async def approve(
        self, session: AsyncSession, operator: Principal, request_id: uuid.UUID, *, reason: str
    ) -> ProxyRequest:
        """The first reviewer's approval is a proposal; a different reviewer's confirms it:
        copies only the records deposited under the typed name, or, when none is, nothing (the
        request says so: `schemas.outcome_of`)."""
        deciding_person(operator)
        proxy = await _submitted(session, request_id)
        if not second_approval(proxy.proposed_by, operator):
            propose_approval(proxy, by=operator, reason=reason, now=self.clock.now())
            self._act(session, operator, proxy, "proxy_request.propose_approval", reason)
            return proxy
        self._act(session, operator, proxy, "proxy_request.approve", reason)
        patient = typed_patient(self.vault.keyring, proxy)
        records, names = await self.held_records(proxy)
        matching = records_under_name(records, names, patient["name"])
        mark_reviewed(
            proxy,
            ProxyRequestStatus.approved,
            operator=operator,
            reason=reason,
            now=self.clock.now(),
        )
        if not matching:
            said = f"{APPROVED_WITH_NOTHING_TO_COPY}: {reason}"
            audit = proxy_audit(proxy, "issuance_request", decision="allowed", reason=said)
            announce(session, self.settings.topic_audit, proxy.patient_person_key, audit)
            self._tell_requester(session, proxy, approved=True)
            return proxy
        issuance = await self.issuances.start(
            session,
            approved_issuance(proxy, patient["name"], matching),
            proxy_audit(
                proxy, "issuance_request", decision="allowed", reason=f"approved: {reason}"
            ),
        )
        proxy.issuance_id = issuance.issuance_id
        self._tell_requester(session, proxy, approved=True)
        return proxy

    def _act(
        self, session: AsyncSession, by: Principal, proxy: ProxyRequest, act: str, reason: str
    ) -> None:
        announce_act(
            session,
            self.settings.topic_audit,
            by,
            act,
            "proxy_request",
            str(proxy.request_id),
            subject_key=proxy.patient_person_key,
            reason=reason,
        )

    async def reject(
        self, session: AsyncSession, operator: Principal, request_id: uuid.UUID, *, reason: str
    ) -> ProxyRequest:
        """One reviewer decides a rejection (an approval proposed meanwhile ends with it)."""
        deciding_person(operator)
        proxy = await _submitted(session, request_id)
        self._act(session, operator, proxy, "proxy_request.reject", reason)
        mark_reviewed(
            proxy,
            ProxyRequestStatus.rejected,
            operator=operator,
            reason=reason,
            now=self.clock.now(),
        )
        announce(
            session,
            self.settings.topic_audit,
            proxy.patient_person_key,
            proxy_audit(proxy, "issuance_request", decision="denied", reason=f"rejected: {reason}"),
        )
        self._tell_requester(session, proxy, approved=False)
        return proxy

    def _tell_requester(
        self, session: AsyncSession, proxy: ProxyRequest, *, approved: bool
    ) -> None:
        """proxy_decided to the requester (catalog keeps it if they signed in): the decision and
        the request's number, never the patient or the reason."""
        ask_notice(
            session,
            self.settings,
            proxy.requester_person_key,
            NoticeKind.proxy_decided,
            f"proxy:{proxy.request_id}",
            {
                "request_id": str(proxy.request_id),
                "submitted": korean_date(proxy.created_at).isoformat(),
                "decision": "승인" if approved else "반려",
            },
        )
