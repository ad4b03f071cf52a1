"""Relatives and proxies under Art. 21: a request with supporting documents, kept encrypted, that
an operator reviews. There is no automatic online access for them."""

import json
import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import BaseModel, Field, ValidationError, field_validator

from medrec_issuance.deps import DbSession, OutboxDep, Requester, Settings
from medrec_issuance.models import ProxyDocument, ProxyRequest
from medrec_issuance.repositories import ProxyRequestRepository
from medrec_shared.audit import Action
from medrec_shared.crypto import blind_index, seal
from medrec_shared.events import AccessRecorded
from medrec_shared.ids import new_id
from medrec_shared.problems import Forbidden, NotFound, ValidationFailed, field_errors
from medrec_shared.rrn import valid_rrn
from medrec_shared.vault import Vault

router = APIRouter(tags=["proxy requests"])
PATIENT_CONTEXT = b"issuance.proxy.patient"
DOCUMENT_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
MAX_DOCUMENT = 10 * 1024 * 1024


class Relation(StrEnum):
    """Who may ask under Art. 21(3), each with the documents the article asks of them."""

    spouse = "spouse"
    lineal_relative = "lineal_relative"
    spouse_lineal_ascendant = "spouse_lineal_ascendant"
    sibling = "sibling"  # only when none of the above exist
    proxy = "proxy"  # named by the patient
    relative_of_deceased_or_incapable = "relative_of_deceased_or_incapable"


REQUIRED_DOCUMENTS: dict[Relation, frozenset[str]] = {
    Relation.spouse: frozenset({"consent_form", "kinship_certificate"}),
    Relation.lineal_relative: frozenset({"consent_form", "kinship_certificate"}),
    Relation.spouse_lineal_ascendant: frozenset({"consent_form", "kinship_certificate"}),
    Relation.sibling: frozenset({"consent_form", "kinship_certificate"}),
    Relation.proxy: frozenset({"consent_form", "power_of_attorney"}),
    Relation.relative_of_deceased_or_incapable: frozenset({"kinship_certificate"}),
}


class PatientIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    rrn: str = Field(description="YYMMDD-GNNNNNN")

    @field_validator("rrn")
    @classmethod
    def _valid_rrn(cls, value: str) -> str:
        return valid_rrn(value)


class ProxyRequestIn(BaseModel):
    patient: PatientIn
    relation: Relation
    institution_code: str | None = Field(default=None, pattern=r"^\d{8}$")


class ProxyRequestOut(BaseModel):
    request_id: uuid.UUID
    status: str
    relation: str
    reason: str | None = None
    issuance_id: uuid.UUID | None = None


def proxy_out(request: ProxyRequest) -> ProxyRequestOut:
    return ProxyRequestOut(
        request_id=request.request_id,
        status=request.status,
        relation=request.relation,
        reason=request.reason,
        issuance_id=request.issuance_id,
    )


def proxy_audit(
    request: ProxyRequest, action: Action, decision: Literal["allowed", "denied"], reason: str
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


def _parse(request_json: str) -> ProxyRequestIn:
    try:
        return ProxyRequestIn.model_validate(json.loads(request_json))
    except json.JSONDecodeError:
        raise ValidationFailed(errors=[{"field": "request", "message": "not JSON"}]) from None
    except ValidationError as exc:
        errors = [{**e, "field": f"request.{e['field']}"} for e in field_errors(exc.errors())]
        raise ValidationFailed(errors=errors) from None


async def _read_document(kind: str, upload: UploadFile) -> bytes:
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type not in DOCUMENT_TYPES:
        message = f"must be one of {', '.join(sorted(DOCUMENT_TYPES))}"
        raise ValidationFailed(errors=[{"field": kind, "message": message}])
    data = await upload.read(MAX_DOCUMENT + 1)
    if len(data) > MAX_DOCUMENT or not data:
        message = f"must hold 1 to {MAX_DOCUMENT} bytes"
        raise ValidationFailed(errors=[{"field": kind, "message": message}])
    return data


async def _one(data: bytes) -> Any:
    yield data


@router.post("/v1/proxy-requests", status_code=202, response_model=ProxyRequestOut)
async def submit_proxy_request(
    http: Request,
    session: DbSession,
    principal: Requester,
    outbox: OutboxDep,
    settings: Settings,
    request: Annotated[
        str, Form(description="JSON: {patient: {name, rrn}, relation, institution_code?}")
    ],
    consent_form: Annotated[UploadFile | None, File()] = None,
    kinship_certificate: Annotated[UploadFile | None, File()] = None,
    power_of_attorney: Annotated[UploadFile | None, File()] = None,
) -> ProxyRequestOut:
    if principal.person_key is None or principal.actor is not None:
        raise Forbidden("A citizen asks for themselves here, not as a guardian.")
    body = _parse(request)
    uploads = {
        "consent_form": consent_form,
        "kinship_certificate": kinship_certificate,
        "power_of_attorney": power_of_attorney,
    }
    missing = REQUIRED_DOCUMENTS[body.relation] - {k for k, v in uploads.items() if v is not None}
    if missing:
        raise ValidationFailed(
            errors=[
                {"field": k, "message": f"required for {body.relation}"} for k in sorted(missing)
            ]
        )
    documents = {kind: await _read_document(kind, u) for kind, u in uploads.items() if u}
    index_key = settings.person_index_key.get_secret_value().encode()
    patient_key = blind_index(index_key, body.patient.rrn)
    if patient_key == principal.person_key:
        raise ValidationFailed(
            errors=[{"field": "request.patient", "message": "ask for your own records directly"}]
        )
    vault: Vault = http.app.state.vault
    proxy = ProxyRequest(
        request_id=new_id(),
        requester_subject=principal.subject,
        requester_person_key=principal.person_key,
        patient_person_key=patient_key,
        patient_sealed=seal(
            vault.keyring, body.patient.model_dump_json().encode(), context=PATIENT_CONTEXT
        ),
        relation=body.relation.value,
        institution_code=body.institution_code,
        status="submitted",
    )
    repository = ProxyRequestRepository(session)
    await repository.add(proxy)
    for kind, data in documents.items():
        stored = await vault.put(f"proxy/{proxy.request_id}/{kind}", _one(data))
        await repository.add_document(
            ProxyDocument(
                request_id=proxy.request_id,
                kind=kind,
                content_type=uploads[kind].content_type,  # type: ignore[union-attr]
                size=stored.size,
                sha256=stored.sha256,
                object_key=stored.object_key,
                kek_id=stored.kek_id,
                wrapped_dek=stored.wrapped_dek,
            )
        )
    await outbox.add(
        session,
        settings.topic_audit,
        patient_key,
        proxy_audit(proxy, "issuance_request", "allowed", f"Art. 21 request as {body.relation}"),
    )
    return proxy_out(proxy)


@router.get(
    "/v1/proxy-requests/{request_id}",
    response_model=ProxyRequestOut,
    response_model_exclude_none=True,
)
async def get_proxy_request(
    request_id: uuid.UUID, session: DbSession, principal: Requester
) -> ProxyRequestOut:
    proxy = await ProxyRequestRepository(session).get(request_id)
    if proxy is None or proxy.requester_subject != principal.subject or principal.actor:
        raise NotFound("No such request.")
    return proxy_out(proxy)
