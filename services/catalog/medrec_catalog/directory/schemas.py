"""What the directory answers: every closed or suspended institution known, with who holds its
records (`custody`), and what staff send to say so."""

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from medrec_catalog.directory.service import custody_shown
from medrec_catalog.models import Institution, InstitutionStatus
from medrec_shared.rules.custody import CUSTODY_LABELS, CustodyStatus


class CustodyOut(BaseModel):
    status: CustodyStatus = Field(
        description="held (records here), transferring (a transfer is open), founder, "
        "health_centre, or unknown"
    )
    label: str = Field(description="The status in Korean, as citizens read it")
    holder: str | None = Field(None, description="Who keeps the records (founder, health centre)")
    contact: str | None = Field(None, description="How to ask them for a copy")


class InstitutionOut(BaseModel):
    code: str
    name: str
    type: str
    region: str
    address: str
    status: InstitutionStatus = Field(
        description="closed, suspended, or reopened (a suspended institution that reopened and "
        "took its records back)"
    )
    closed_on: date
    record_count: int = Field(description="Records held here")
    custody: CustodyOut


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CustodyIn(BaseModel):
    """A custody staff may declare; `held` and `transferring` follow from transfers."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["founder", "health_centre", "unknown"]
    holder: Text | None = None
    contact: Text | None = None


def institution_out(institution: Institution, count: int) -> InstitutionOut:
    shown = custody_shown(institution, count)
    declared = shown == institution.custody_status
    return InstitutionOut(
        code=institution.code,
        name=institution.name,
        type=institution.type,
        region=institution.region,
        address=institution.address,
        status=institution.status,
        closed_on=institution.closed_on,
        record_count=count,
        custody=CustodyOut(
            status=shown,
            label=CUSTODY_LABELS[shown],
            holder=institution.custody_holder if declared else None,
            contact=institution.custody_contact if declared else None,
        ),
    )
