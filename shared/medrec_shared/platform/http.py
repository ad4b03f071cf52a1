"""Calls to other services: a client-credentials token, cached until shortly before expiry,
and the correlation id carried along; answers parsed into the shared contracts
(`medrec_shared.rules.contracts`), a 404 read as "not held" (None) in one place."""

import asyncio
import time
from typing import TypeVar

import httpx
from pydantic import BaseModel

from medrec_shared.platform.logs import CORRELATION_HEADER, get_correlation_id


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


Answer = TypeVar("Answer", bound=BaseModel)


def unless_missing(response: httpx.Response) -> httpx.Response | None:
    """None when the other service does not hold what was asked (404); the response when it
    answered; raises (`httpx.HTTPStatusError`) for any other failure."""
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response


class ServiceClient:
    """One service's HTTP API as seen by another: authenticated as the calling service (its
    client credentials), or, for a call made on a citizen's behalf, with the citizen's token
    (`bearer=`)."""

    def __init__(
        self,
        base_url: str,
        credentials: ClientCredentials | None = None,
        *,
        timeout: float = 30.0,
    ) -> None:
        self.credentials = credentials
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def headers(self, bearer: str | None = None) -> dict[str, str]:
        if bearer is None:
            if self.credentials is None:
                raise RuntimeError("this client calls only with a caller's token")
            bearer = await self.credentials.token(self.http)
        return {"Authorization": f"Bearer {bearer}", CORRELATION_HEADER: get_correlation_id()}

    async def get(
        self, path: str, *, params: dict[str, str] | None = None, bearer: str | None = None
    ) -> httpx.Response:
        return await self.http.get(path, headers=await self.headers(bearer), params=params)

    async def post(self, path: str, *, json: object) -> httpx.Response:
        return await self.http.post(path, headers=await self.headers(), json=json)

    async def read(
        self,
        answer: type[Answer],
        path: str,
        *,
        params: dict[str, str] | None = None,
        bearer: str | None = None,
    ) -> Answer:
        """A GET whose answer is `answer`; raises for any failure."""
        response = await self.get(path, params=params, bearer=bearer)
        response.raise_for_status()
        return answer.model_validate_json(response.content)

    async def find(
        self, answer: type[Answer], path: str, *, params: dict[str, str] | None = None
    ) -> Answer | None:
        """A GET whose answer is `answer`, or None when the service does not hold it (404)."""
        response = unless_missing(await self.get(path, params=params))
        return None if response is None else answer.model_validate_json(response.content)

    async def submit(self, answer: type[Answer], path: str, *, json: object) -> Answer:
        """A POST (a query too large for a URL) whose answer is `answer`."""
        response = await self.post(path, json=json)
        response.raise_for_status()
        return answer.model_validate_json(response.content)

    async def aclose(self) -> None:
        await self.http.aclose()
