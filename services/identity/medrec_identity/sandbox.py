"""Sandbox-only routes: seed the stand-in family registry. Absent unless sandbox mode is on."""

from datetime import date
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from medrec_identity.deps import FieldKeyring, Keys, Session
from medrec_identity.family.sandbox import FamilyLinkRepository
from medrec_identity.models import FamilyLink
from medrec_identity.persons.sealing import seal_name, seal_rrn
from medrec_shared.platform.ids import new_id
from medrec_shared.rules.rrn import valid_rrn

router = APIRouter(tags=["sandbox"])


class FamilyLinkIn(BaseModel):
    parent_rrn: str
    child_rrn: str
    child_name: str = Field(min_length=1, max_length=100)
    child_birth_date: date
    relation: Literal["parent", "guardian"]
    parental_authority: bool

    _check_rrns = field_validator("parent_rrn", "child_rrn")(lambda cls, v: valid_rrn(v))


@router.post("/v1/sandbox/family-links", status_code=201)
async def add_family_link(
    body: FamilyLinkIn, session: Session, keys: Keys, keyring: FieldKeyring
) -> dict[str, str]:
    link = FamilyLink(
        id=new_id(),
        parent_key=keys.person_key(body.parent_rrn),
        child_key=keys.person_key(body.child_rrn),
        child_rrn_sealed=seal_rrn(keyring, body.child_rrn),
        child_name_sealed=seal_name(keyring, body.child_name),
        child_birth_date=body.child_birth_date,
        relation=body.relation,
        parental_authority=body.parental_authority,
    )
    await FamilyLinkRepository(session).add(link)
    return {"id": str(link.id)}
