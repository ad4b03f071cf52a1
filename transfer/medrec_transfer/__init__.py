"""medrec's transfer kit: a typed client of the transfer API (async and sync) and the
`medrec-transfer` command that pushes an export directory through it. docs/transfer-kit.md."""

from medrec_transfer.client import AsyncTransferClient, TransferClient
from medrec_transfer.errors import (
    Conflict,
    CredentialsError,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    ProblemError,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    TooLarge,
    TransferError,
    Unauthorized,
)
from medrec_transfer.models import BatchResult, Counts, Deposit, Receipt, Record, Transfer
from medrec_transfer.retry import RetryPolicy

__all__ = [
    "AsyncTransferClient", "BatchResult", "Conflict", "Counts", "CredentialsError", "Deposit",
    "FieldError", "Forbidden", "Invalid", "NotFound", "ProblemError", "RateLimited", "Receipt",
    "Record", "RetryPolicy", "ServerError", "ServiceUnavailable", "TooLarge", "Transfer",
    "TransferClient", "TransferError", "Unauthorized",
]  # fmt: skip
