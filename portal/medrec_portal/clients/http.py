"""The three APIs the portal calls (identity, catalog, issuance), with the citizen's token: the
transport under the typed clients (`medrec_portal.clients`).

The transport itself is the front doors' shared one (medrec_shared.platform.frontdoor.client);
what is the portal's is which services it calls, the logger an unreachable one is reported under,
and an upload passed on as it arrives (`post_streamed`). Every answer that is not a success is an
`ApiProblem`; the pages turn it into a Korean sentence (medrec_portal.messages)."""

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any, Literal

import httpx

from medrec_shared.platform.frontdoor.client import CLIENT_ADDRESS, Answer, ApiProblem, problem
from medrec_shared.platform.frontdoor.client import Api as FrontDoorApi

__all__ = ["CLIENT_ADDRESS", "Api", "ApiProblem", "Service"]

Service = Literal["identity", "catalog", "issuance"]


class Api(FrontDoorApi):
    """One API the portal calls (identity, catalog or issuance), with the citizen's token when a
    call is made for them."""

    log_name = "medrec.portal.clients"

    def __init__(self, service: Service, base_url: str, timeout: float) -> None:
        super().__init__(service, base_url, timeout)

    async def stream_post(
        self, path: str, *, json: dict[str, Any]
    ) -> tuple[httpx.Response, AsyncIterator[bytes]]:
        """A POST whose answer streams (a shared document): as `stream`'s, without a token."""
        request = self.http.build_request("POST", path, headers=self._headers(None), json=json)
        response = await self._send(request, stream=True)
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            raise problem(response)
        return response, response.aiter_bytes()

    async def post_streamed(
        self, answer: type[Answer], path: str, body: AsyncIterable[bytes], content_type: str
    ) -> Answer:
        """`call` with a body sent as it is produced (chunked), never held whole: an upload
        passed on as it arrives. What the body raises (a 413 while it is read) is raised."""
        headers = self._headers(None) | {"Content-Type": content_type}
        response = await self._send(
            self.http.build_request("POST", path, content=body, headers=headers)
        )
        if response.status_code >= 400:
            raise problem(response)
        return answer.model_validate_json(response.content)
