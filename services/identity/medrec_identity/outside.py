"""Calls to the outside parties identity asks (the family registry, the identity binding): one
JSON POST with the party's bearer token and our correlation id, so their logs and ours meet."""

from typing import Any

import httpx

from medrec_shared.platform.logs import CORRELATION_HEADER, get_correlation_id


async def post_json(http: httpx.AsyncClient, url: str, token: str, body: Any) -> httpx.Response:
    """Raises httpx.HTTPError when the party does not answer; any answer is the caller's to read."""
    return await http.post(
        url,
        json=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            CORRELATION_HEADER: get_correlation_id(),
        },
    )
