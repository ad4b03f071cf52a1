"""The request side of a content upload (`PUT …/content`, endpoints.py): its headers checked
against the record's declaration before any byte is read, and its body checked as it streams
past, given up when the client stalls."""

import asyncio
import base64
import binascii
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import Request

from medrec_ingest.deposit.validation import StreamCheck
from medrec_ingest.fields import FieldErrors, base_type, error
from medrec_ingest.models import Record
from medrec_shared.platform.problems import Problem, ValidationFailed

# RFC 9530 / RFC 8941 dictionary member: `sha-256=:<base64>:` with optional parameters.
_DIGEST_MEMBER = re.compile(r"^\s*([a-z0-9_.*-]+)\s*=\s*:([A-Za-z0-9+/=]*):\s*(?:;.*)?$")


class UploadInterrupted(Problem):
    status, type, title = 400, "upload-interrupted", "The upload was interrupted"


class UploadStalled(Problem):
    status, type, title = 408, "upload-stalled", "The upload stalled"


def parse_content_digest(value: str | None) -> str:
    """The hex SHA-256 named by a `Content-Digest` header, or `ValidationFailed`."""
    field = "Content-Digest"
    if not value:
        raise ValidationFailed(
            errors=[error(field, "is required: sha-256=:<base64 SHA-256 of the content>:")]
        )
    for member in value.split(","):
        match = _DIGEST_MEMBER.match(member)
        if match is None or match[1] != "sha-256":
            continue
        try:
            digest = base64.b64decode(match[2], validate=True)
        except (binascii.Error, ValueError):
            digest = b""
        if len(digest) != 32:
            raise ValidationFailed(errors=[error(field, "sha-256 is not 32 bytes in base64")])
        return digest.hex()
    raise ValidationFailed(errors=[error(field, "must carry sha-256=:<base64>: (RFC 9530)")])


@dataclass(frozen=True)
class ContentHeaders:
    """What a content upload's request says of its body."""

    content_type: str | None
    content_digest: str | None
    content_length: int | None
    content_encoding: str | None


def header_errors(record: Record, digest: str, headers: ContentHeaders) -> FieldErrors:
    """The request's headers against the record's declaration, before any byte is read."""
    errors = []
    content_type = headers.content_type
    if content_type is None or base_type(content_type) != base_type(record.content_type):
        errors.append(error("Content-Type", "must be the declared content_type"))
    if digest != record.sha256:
        errors.append(error("Content-Digest", "does not match the declared sha256"))
    if headers.content_length is not None and headers.content_length != record.size:
        errors.append(error("Content-Length", "does not match the declared size"))
    if headers.content_encoding not in (None, "identity"):
        errors.append(error("Content-Encoding", "is not supported: send the content as is"))
    return errors


async def received(
    request: Request, check: StreamCheck, idle_seconds: float
) -> AsyncIterator[bytes]:
    """The body as it arrives, each chunk checked; `UploadStalled` after `idle_seconds` of
    nothing."""
    stream = request.stream().__aiter__()
    while True:
        try:
            async with asyncio.timeout(idle_seconds):
                chunk = await anext(stream)
        except StopAsyncIteration:
            break
        except TimeoutError:
            raise UploadStalled(f"Nothing arrived for {idle_seconds:.0f} seconds.") from None
        if chunk:
            check.update(chunk)
            yield chunk
    check.finish()
