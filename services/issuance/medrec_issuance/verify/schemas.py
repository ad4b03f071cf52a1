from datetime import datetime

from pydantic import BaseModel


class VerifyOut(BaseModel):
    valid: bool
    issuance_number: str | None = None
    issued_at: datetime | None = None
    institutions: list[str] | None = None
    record_count: int | None = None
    pages: int | None = None
    sha256: str | None = None
    document_type: str | None = None
    document_label: str | None = None  # the document's Korean title (서류 종류)
