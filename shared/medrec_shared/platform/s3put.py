"""A small object's PUT on the caller's event loop: one signed request over a pooled connection.

minio's client is synchronous: each small PUT went to a worker thread and back, built its request
through several layers and sent it with urllib3 (docs/performance.md, #32). Here the request is
signed with AWS Signature V4 by hand, and the body carries its `Content-MD5`, as minio's client
sends it over HTTPS: the store refuses a body damaged on the way (`BadDigest`), and it is sent
again. (Over plain HTTP minio signed the body's SHA-256 instead; SeaweedFS does not check that
one against the body, but it does check Content-MD5: tests/integration/test_object_store.py.)
A refusal is raised as the minio errors the rest of the code knows (`S3Error` with the store's
code, `ServerError` for a 5xx it did not explain), so outages and counted errors read them as
before (medrec_shared.platform.outages).

Invariant: a PUT that answered 200 stored exactly these bytes under this key; any other answer
raises. A dropped pooled connection, a damaged body and a 5xx are tried again a few times (the
PUT of the same bytes to the same key is idempotent), as minio's client retries."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from minio.error import InvalidResponseError, S3Error, ServerError

if TYPE_CHECKING:  # imported when first used: it builds TLS contexts on import (0.2 s a process)
    import aiohttp

_ALGORITHM = "AWS4-HMAC-SHA256"
_SIGNED = "content-md5;host;x-amz-content-sha256;x-amz-date"
_UNSIGNED = "UNSIGNED-PAYLOAD"  # the body is checked by its Content-MD5 (signed) instead
_ATTEMPTS = 3
_BACKOFF_SECONDS = 0.2
_ERROR_FIELD = re.compile(rb"<(Code|Message|RequestId|HostId)>([^<]*)</\1>")
_CONNECT_SECONDS, _READ_SECONDS = 10, 120


class StoreUnreachable(ConnectionError):
    """The store could not be reached, or dropped the connection, on every try (read by
    medrec_shared.platform.outages as the store being away)."""


class SmallPuts:
    """PUTs of whole objects held in memory, signed with one access key. One connection pool
    per event loop (a session belongs to the loop it was made on)."""

    def __init__(
        self, endpoint: str, access_key: str, secret_key: str, *, secure: bool, region: str
    ) -> None:
        self.host = endpoint
        self.base = f"{'https' if secure else 'http'}://{endpoint}"
        self.access_key = access_key
        self.region = region
        self._secret = secret_key
        self._keys: tuple[str, bytes] = ("", b"")  # (day, its signing key): one HMAC chain a day
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _signing_key(self, day: str) -> bytes:
        if self._keys[0] != day:
            key = _hmac(f"AWS4{self._secret}".encode(), day)
            for part in (self.region, "s3", "aws4_request"):
                key = _hmac(key, part)
            self._keys = (day, key)
        return self._keys[1]

    def headers(self, path: str, content_md5: str, now: datetime) -> dict[str, str]:
        """The signed headers of a PUT to `path` of a body with this Content-MD5 (base64)."""
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        day = stamp[:8]
        canonical = (
            f"PUT\n{path}\n\ncontent-md5:{content_md5}\nhost:{self.host}\n"
            f"x-amz-content-sha256:{_UNSIGNED}\nx-amz-date:{stamp}\n\n{_SIGNED}\n{_UNSIGNED}"
        )
        scope = f"{day}/{self.region}/s3/aws4_request"
        hashed = hashlib.sha256(canonical.encode()).hexdigest()
        to_sign = f"{_ALGORITHM}\n{stamp}\n{scope}\n{hashed}"
        signature = hmac.new(self._signing_key(day), to_sign.encode(), hashlib.sha256).hexdigest()
        return {
            "Content-MD5": content_md5,
            "Host": self.host,
            "x-amz-content-sha256": _UNSIGNED,
            "x-amz-date": stamp,
            "Authorization": f"{_ALGORITHM} Credential={self.access_key}/{scope}, "
            f"SignedHeaders={_SIGNED}, Signature={signature}",
        }

    def _pool(self) -> aiohttp.ClientSession:
        import aiohttp

        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            connector = aiohttp.TCPConnector(limit=32, ttl_dns_cache=None)
            timeout = aiohttp.ClientTimeout(
                total=None, sock_connect=_CONNECT_SECONDS, sock_read=_READ_SECONDS
            )
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=timeout, auto_decompress=False
            )
            self._loop = loop
        return self._session

    async def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        import aiohttp

        path = f"/{quote(bucket)}/{quote(key, safe='/~')}"
        # S3's Content-MD5 checks for damage on the way, not for an adversary: MD5 is the header's.
        content_md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        for attempt in range(1, _ATTEMPTS + 1):
            # Signed again each try: the date is part of the signature.
            headers = self.headers(path, content_md5, datetime.now(UTC))
            headers["Content-Type"] = content_type
            try:
                async with self._pool().put(
                    self.base + path, data=data, headers=headers, skip_auto_headers=("Accept",)
                ) as response:
                    body = await response.read()
                    status = response.status
            except aiohttp.ClientConnectionError as exc:  # a server disconnect is one too
                if attempt == _ATTEMPTS:
                    raise StoreUnreachable(f"object store: {type(exc).__name__}") from exc
            else:
                if status == 200:
                    return
                damaged = status == 400 and b"<Code>BadDigest</Code>" in body
                if (status < 500 and not damaged) or attempt == _ATTEMPTS:
                    raise _error(status, body, bucket, key)
            await asyncio.sleep(_BACKOFF_SECONDS * attempt)

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _error(status: int, body: bytes, bucket: str, key: str) -> Exception:
    fields = {name.decode(): value.decode(errors="replace") for name, value in
              _ERROR_FIELD.findall(body)}  # fmt: skip
    if "Code" not in fields:
        if status >= 500:
            return ServerError(f"object store answered {status}", status)
        return InvalidResponseError(status, None, None)
    return S3Error(
        cast(Any, None),  # no urllib3 response here; nothing reads it
        fields["Code"],
        fields.get("Message"),
        f"/{bucket}/{key}",
        fields.get("RequestId"),
        fields.get("HostId"),
        bucket,
        key,
    )
