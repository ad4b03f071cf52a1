"""이관 요청 as the API answers it: a citizen's own request, and a health centre's queue of
clinics with counts (no person in it)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from medrec_catalog.transfer_requests.repository import Asked


class TransferRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    institution_code: Annotated[str, Field(pattern=r"^\d{8}$", description="요양기관기호")]


class TransferRequestOut(BaseModel):
    institution_code: str
    asked: bool = Field(description="true: this person's request for this clinic is recorded")
    new: bool = Field(description="false when this person had asked already (200, not 201)")


class MyTransferRequests(BaseModel):
    institution_codes: list[str] = Field(description="The clinics this person asked for")


class RequestedInstitution(BaseModel):
    code: str
    name: str
    type: str
    region: str
    address: str
    requests: int = Field(description="How many people asked, each once, not told yet")
    last_asked_at: datetime


class TransferRequestQueue(BaseModel):
    items: list[RequestedInstitution] = Field(description="Most requested first")


def requested(asked: Asked) -> RequestedInstitution:
    i = asked.institution
    return RequestedInstitution(
        code=i.code, name=i.name, type=i.type, region=i.region, address=i.address,
        requests=asked.requests, last_asked_at=asked.last_asked_at,
    )  # fmt: skip
