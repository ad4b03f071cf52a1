"""Calls to other services: a client-credentials token, cached until shortly before expiry,
and the correlation id carried along."""

import asyncio
import time

import httpx

from medrec_shared.logs import CORRELATION_HEADER, get_correlation_id


class ClientCredentials:
    def __init__(self, token_url: str, client_id: str, client_secret: str, scope: str) -> None:
        self.token_url = token_url
        self.auth = (client_id, client_secret)
        self.scope = scope
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def token(self, http: httpx.AsyncClient) -> str:
        async with self._lock:
            if self._token is None or time.monotonic() > self._expires_at - 30:
                response = await http.post(
                    self.token_url,
                    data={"grant_type": "client_credentials", "scope": self.scope},
                    auth=self.auth,
                )
                response.raise_for_status()
                body = response.json()
                self._token = str(body["access_token"])
                self._expires_at = time.monotonic() + float(body["expires_in"])
            return self._token


class ServiceClient:
    """One service's HTTP API as seen by another, authenticated as the calling service."""

    def __init__(self, base_url: str, credentials: ClientCredentials, *, timeout: float = 30.0):
        self.credentials = credentials
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def headers(self) -> dict[str, str]:
        token = await self.credentials.token(self.http)
        return {"Authorization": f"Bearer {token}", CORRELATION_HEADER: get_correlation_id()}

    async def get(self, path: str, *, params: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.get(path, headers=await self.headers(), params=params)

    async def post(self, path: str, *, json: object) -> httpx.Response:
        return await self.http.post(path, headers=await self.headers(), json=json)

    async def aclose(self) -> None:
        await self.http.aclose()
