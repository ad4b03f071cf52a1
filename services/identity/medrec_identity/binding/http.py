"""The HTTP identity binding connector (`MEDREC_IDENTITY_BINDING_SERVICE=http`).

identity asks a binding service, at `MEDREC_IDENTITY_BINDING_URL`, whether a CI belongs to an RRN
(docs/identity-binding.md has the same contract for its implementers):

Request::

    POST {BINDING_URL}
    Authorization: Bearer {BINDING_TOKEN}
    Content-Type: application/json
    Accept: application/json
    X-Correlation-ID: <the request's correlation id>

    {"rrn": "YYMMDD-GNNNNNN", "ci": "<88 characters of base64>"}

Both go in the body (never in a URL, which proxies log); use an https URL outside the local
stack (enforced by the settings).

Response ``200 application/json``: ``{"match": true}`` when the CI is the one derived from that
RRN, ``{"match": false}`` otherwise (another person's CI, an RRN it does not know). Any other
status, a timeout (`BINDING_TIMEOUT_SECONDS`) or another body: identity answers ``503
identity-binding-unavailable`` and issues no token.
"""

import httpx
from pydantic import BaseModel, StrictBool, ValidationError

from medrec_identity.binding.port import BindingUnavailable
from medrec_identity.outside import post_json
from medrec_shared.platform.logs import get_logger

log = get_logger(__name__)


class _Answer(BaseModel):
    match: StrictBool


class HttpIdentityBinding:
    kind = "http"

    def __init__(self, url: str, token: str, http: httpx.AsyncClient) -> None:
        self.url = url
        self.token = token
        self.http = http

    async def confirms(self, rrn: str, ci: str) -> bool:
        try:
            response = await post_json(self.http, self.url, self.token, {"rrn": rrn, "ci": ci})
        except httpx.HTTPError as exc:
            log.warning("identity_binding_unreachable", error_type=type(exc).__name__)
            raise BindingUnavailable("The identity binding service did not answer.") from exc
        if response.status_code != 200:
            log.warning("identity_binding_refused", status=response.status_code)
            raise BindingUnavailable("The identity binding service did not answer.")
        try:
            return _Answer.model_validate_json(response.content).match
        except ValidationError as exc:
            log.warning("identity_binding_malformed_answer")
            raise BindingUnavailable("The identity binding service answered nonsense.") from exc

    async def aclose(self) -> None:
        await self.http.aclose()
