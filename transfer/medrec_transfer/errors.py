"""The errors the client raises: every refusal of the transfer API is an RFC 9457 problem, raised
as a `ProblemError` carrying the problem's fields; a refused token (RFC 6749's `{error}` body) is
a `CredentialsError`. Nothing here holds a request or response body beyond the problem itself."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class TransferError(Exception):
    """The base of every error of this package."""


class CredentialsError(TransferError):
    """identity refused the client credentials (wrong id or secret, revoked, or no scope)."""

    def __init__(self, error: str, description: str | None = None) -> None:
        self.error = error
        self.description = description
        super().__init__(f"{error}: {description}" if description else error)


class InsecureURL(TransferError, ValueError):
    """A service URL over which the client secret and the records would travel in clear: plain
    `http://` to anything but this machine (medrec_transfer.urls)."""


class ServiceUnavailable(TransferError):
    """The service could not be reached, or kept failing, until the retry policy gave up."""


@dataclass
class ProblemError(TransferError):
    """An `application/problem+json` answer (4xx, or a 5xx after the retries gave up)."""

    status: int
    type: str = "about:blank"
    title: str = ""
    detail: str | None = None
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    retry_after: float | None = None  # seconds, from the answer's Retry-After (a 409 "not yet")

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.status} {self.title or self.type}"
        if self.detail:
            text += f": {self.detail}"
        if self.errors:
            text += " (" + "; ".join(f"{e.field}: {e.message}" for e in self.errors) + ")"
        return text

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail is not None:
            body["detail"] = self.detail
        if self.errors:
            body["errors"] = [{"field": e.field, "message": e.message} for e in self.errors]
        return body

    @property
    def fields(self) -> list[str]:
        return [e.field for e in self.errors]

    @classmethod
    def from_body(cls, status: int, body: Any, retry_after: float | None = None) -> "ProblemError":
        if not isinstance(body, dict):
            return cls(status=status, title="Unexpected answer", retry_after=retry_after)
        known = {"type", "title", "status", "detail", "errors"}
        errors = [
            FieldError(str(e.get("field", "")), str(e.get("message", "")))
            for e in body.get("errors") or []
            if isinstance(e, dict)
        ]
        kind = _BY_STATUS.get(status, cls)
        return kind(
            status=int(body.get("status") or status),
            type=str(body.get("type") or "about:blank"),
            title=str(body.get("title") or ""),
            detail=body.get("detail"),
            errors=errors,
            extra={k: v for k, v in body.items() if k not in known},
            retry_after=retry_after,
        )


class Unauthorized(ProblemError):
    """401: the token was refused."""


class Forbidden(ProblemError):
    """403: the client may not do this."""


class NotFound(ProblemError):
    """404: no such transfer or record (or not this client's)."""


class Conflict(ProblemError):
    """409: other content under this external_id, the transfer closed, a count mismatch, or
    (a receipt) not made yet."""


class Invalid(ProblemError):
    """422: not valid; nothing was kept."""


class TooLarge(ProblemError):
    """413: over a size limit."""


class RateLimited(ProblemError):
    """429 after the retries gave up."""


class ServerError(ProblemError):
    """5xx after the retries gave up."""


_BY_STATUS: dict[int, type[ProblemError]] = {
    401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict, 413: TooLarge,
    422: Invalid, 429: RateLimited, 500: ServerError, 502: ServerError, 503: ServerError,
    504: ServerError,
}  # fmt: skip
