"""The platform half of every service's composition root.

Each service builds its components once, in its own `bootstrap.py`: a frozen dataclass that
extends `Components` with what that service needs (its vault, clients, domain services). The API
(`create_base_app`), the worker and the tests all start from it. A route reaches a component
through a typed dependency made by `component`, never through `app.state` by name: this module
holds the one place where the container is put on the app and read back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from fastapi import FastAPI, Request

if TYPE_CHECKING:  # the platform's request dependencies (db, auth, web) import this module
    from medrec_shared.platform.auth import TokenVerifier
    from medrec_shared.platform.clock import Clock
    from medrec_shared.platform.db import Database, Transactions
    from medrec_shared.platform.messaging import Outbox
    from medrec_shared.platform.settings import ServiceSettings


@dataclass(frozen=True, kw_only=True)
class Components:
    """What every service holds. `token_verifier` is None in a process that checks no tokens
    (a worker)."""

    settings: ServiceSettings
    clock: Clock
    db: Database
    outbox: Outbox
    token_verifier: TokenVerifier | None = None

    @property
    def transactions(self) -> Transactions:
        from medrec_shared.platform.db import Transactions

        return Transactions.of(self.db, self.outbox)

    async def aclose(self) -> None:
        """Releases what the container opened; a service that opens more extends this."""
        await self.db.dispose()


def install(app: FastAPI, components: Components) -> None:
    app.state.components = components


def installed(app: FastAPI) -> Components | None:
    """The app's components, or None while `create_base_app` has not installed them yet."""
    found = getattr(app.state, "components", None)
    return found if isinstance(found, Components) else None


def components_of(request: Request) -> Components:
    found = request.app.state.components
    assert isinstance(found, Components), "create_base_app installs the service's components"
    return found


C = TypeVar("C", bound=Components)


def component(kind: type[C]) -> Callable[[Request], Awaitable[C]]:
    """A dependency on the service's own container type, for its routes:
    `Annotated[CatalogComponents, Depends(component(CatalogComponents))]`."""

    async def dependency(request: Request) -> C:  # async: no hop to the thread pool
        found = components_of(request)
        assert isinstance(found, kind)
        return found

    return dependency
