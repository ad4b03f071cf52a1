"""The public check's upload is hashed as it arrives, and refused at the cap without reading on."""

import hashlib
from collections.abc import AsyncIterator, Iterable

import httpx
import pytest

from medrec_issuance.verify.upload import ENVELOPE_BYTES, UploadTooLarge, file_sha256
from medrec_shared.platform.problems import ValidationFailed


def multipart(files: dict[str, bytes], extra: dict[str, str] | None = None) -> tuple[str, bytes]:
    request = httpx.Request(
        "POST",
        "http://x/",
        files={k: ("copy.pdf", v, "application/pdf") for k, v in files.items()},
        data=extra or {},
    )
    return request.headers["content-type"], request.read()


class Body:
    def __init__(self, data: bytes, piece: int = 4096) -> None:
        self.pieces: Iterable[bytes] = [data[i : i + piece] for i in range(0, len(data), piece)]
        self.read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            self.read += len(piece)
            yield piece


async def test_the_file_part_is_hashed_whatever_comes_around_it() -> None:
    pdf = b"%PDF-1.7\r\n--not-a-boundary\r\n" + bytes(range(256)) * 300
    content_type, body = multipart({"file": pdf}, {"note": "x"})
    assert (
        await file_sha256(content_type, aiter(Body(body)), 1 << 20)
        == hashlib.sha256(pdf).hexdigest()
    )


async def test_a_body_over_the_cap_is_refused_at_the_cap() -> None:
    cap = 64 * 1024
    content_type, body = multipart({"file": b"%PDF-" + b"\0" * (cap + ENVELOPE_BYTES)})
    stream = Body(body + b"\0" * (1 << 20))  # and a megabyte more that must not be read
    with pytest.raises(UploadTooLarge) as refused:
        await file_sha256(content_type, aiter(stream), cap)
    assert refused.value.status == 413
    assert stream.read <= cap + ENVELOPE_BYTES + 4096


async def test_no_file_or_no_multipart_is_a_validation_problem() -> None:
    content_type, body = multipart({"other": b"%PDF-"})
    with pytest.raises(ValidationFailed):
        await file_sha256(content_type, aiter(Body(body)), 1 << 20)
    with pytest.raises(ValidationFailed):
        await file_sha256("application/pdf", aiter(Body(b"%PDF-")), 1 << 20)


async def test_a_malformed_multipart_body_is_a_validation_problem() -> None:
    """Found by `make fuzz`: a part without headers was a 500."""
    boundary = "7e8fbc29a1904a9d588aa87446068751"
    body = f"--{boundary}\r\n[-4281718894196008448]--{boundary}--\r\n".encode()
    content_type = f"multipart/form-data; boundary={boundary}"
    with pytest.raises(ValidationFailed):
        await file_sha256(content_type, aiter(Body(body)), 1 << 20)
