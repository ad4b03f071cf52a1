"""A copy uploaded to 진위확인, passed on to issuance as it arrives, never held whole.

The browser's multipart body is parsed as a stream (python-multipart's parser, as issuance parses
it) and its `file` part re-sent, a chunk at a time, as the one part of a multipart body of our
own: the portal holds a chunk, not the copy, and issuance gets nothing else of the form. The
body's bound is counted where it is received (medrec_shared.platform.bodylimits,
medrec_portal.bodies): past it, reading stops with 413 wherever the copy is by then."""

import secrets
from collections.abc import AsyncIterator

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException

FIELD = b"file"


class CopyUpload:
    """One browser's upload: `chosen()` reads up to the `file` part's headers (is there a file
    at all?), then `body()` streams what is left, re-framed for issuance."""

    def __init__(self, content_type: str, source: AsyncIterator[bytes]) -> None:
        kind, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise _malformed()
        self.source = source
        self.parser = MultipartParser(boundary, self._callbacks())  # type: ignore[arg-type]
        self.boundary = secrets.token_hex(16)
        self.ready: list[bytes] = []  # the file's data parsed and not yet sent on
        self.header = self.disposition = b""
        self.in_file = False
        self.filename: bytes | None = None  # the `file` part's, once its headers are read
        self.ended = False

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    async def chosen(self) -> bool:
        """Whether the form holds a file (a browser sends an empty `file` part without a name
        when none was chosen)."""
        while self.filename is None and not self.ended:
            await self._read()
        return bool(self.filename)

    async def body(self) -> AsyncIterator[bytes]:
        """The multipart body issuance takes: the file's part, streamed as it is parsed."""
        yield (
            f"--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="copy.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        while True:
            if self.ready:  # one piece per chunk read (a PDF's CRs cut it into many small ones)
                piece = b"".join(self.ready)
                self.ready.clear()
                yield piece
            if self.ended:
                break
            await self._read()
        yield f"\r\n--{self.boundary}--\r\n".encode()

    async def _read(self) -> None:
        chunk = await anext(self.source, None)
        try:
            if chunk is None:
                self.parser.finalize()
                self.ended = True
            elif chunk:
                self.parser.write(chunk)
        except MultipartParseError:
            raise _malformed() from None

    def _callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self.header, self.disposition = b"", b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self.header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        if self.header.lower() == b"content-disposition":
            self.disposition += data[start:end]

    def _header_end(self) -> None:
        self.header = b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self.disposition)
        if params.get(b"name") == FIELD and self.filename is None:
            self.filename = params.get(b"filename", b"")
            self.in_file = True

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_file:
            self.ready.append(data[start:end])

    def _part_end(self) -> None:
        self.in_file = False


def _malformed() -> HTTPException:
    # Starlette's answer to a form it cannot parse (the parser's message quotes the body).
    return HTTPException(400, "the form could not be read")
