"""What the directory answers: institutions whose records are held."""

from datetime import date

from pydantic import BaseModel, Field

from medrec_catalog.models import Institution, InstitutionStatus


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
    record_count: int


def institution_out(institution: Institution, count: int) -> InstitutionOut:
    return InstitutionOut(
        code=institution.code,
        name=institution.name,
        type=institution.type,
        region=institution.region,
        address=institution.address,
        status=institution.status,
        closed_on=institution.closed_on,
        record_count=count,
    )
