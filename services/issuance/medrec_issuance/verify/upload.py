"""The uploaded copy of `POST /v1/verify`, hashed as it arrives and never kept: a multipart body
is parsed as a stream (python-multipart's parser, not Starlette's form, which spools every file),
the `file` part goes through SHA-256 a chunk at a time, and a body over the cap is refused (413)
at the chunk that crosses it, with nothing more read. No copy we issue is larger than the cap."""

import hashlib
from collections.abc import AsyncIterator

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from medrec_shared.platform.problems import Problem, ValidationFailed

# The multipart envelope around the file: boundaries and the part's headers.
ENVELOPE_BYTES = 64 * 1024


class UploadTooLarge(Problem):
    status, type, title = 413, "content-too-large", "Content too large"


async def file_sha256(content_type: str, body: AsyncIterator[bytes], max_bytes: int) -> str:
    """The SHA-256 of the multipart body's `file` part, or a problem (422 without one, 413 over
    ``max_bytes``)."""
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise _not_multipart()
    part = _FilePart()
    parser = MultipartParser(boundary, part.callbacks())  # type: ignore[arg-type]
    read = 0
    async for chunk in body:
        read += len(chunk)
        if read > max_bytes + ENVELOPE_BYTES:
            raise UploadTooLarge(
                f"A copy is at most {max_bytes} bytes.", headers={"Connection": "close"}
            )
        try:
            parser.write(chunk)
        except MultipartParseError:
            raise _not_multipart() from None
    try:
        parser.finalize()
    except MultipartParseError:
        raise _not_multipart() from None
    if not part.found:
        raise ValidationFailed(errors=[{"field": "file", "message": "field required"}])
    return part.digest.hexdigest()


def _not_multipart() -> ValidationFailed:
    # The parser's own message quotes the body; ours names only what to send.
    return ValidationFailed(errors=[{"field": "file", "message": "send multipart/form-data"}])


class _FilePart:
    """The parser's callbacks: the first part named `file` goes through the digest."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.found = self.in_file = False
        self.header = self.disposition = b""

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
        }

    def part_begin(self) -> None:
        self.in_file, self.header, self.disposition = False, b"", b""

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.header += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        if self.header.lower() == b"content-disposition":
            self.disposition += data[start:end]

    def header_end(self) -> None:
        self.header = b""

    def headers_finished(self) -> None:
        _, params = parse_options_header(self.disposition)
        if params.get(b"name") == b"file" and not self.found:
            self.in_file = self.found = True

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_file:
            self.digest.update(data[start:end])
