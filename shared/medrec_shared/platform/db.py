"""Async SQLAlchemy engine and sessions. The request (or event handler) boundary owns the
transaction: it opens `session.begin()`, repositories below it only add and flush."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from medrec_shared.platform.components import components_of
from medrec_shared.platform.messaging import Outbox, open_unit, write_announcements
from medrec_shared.platform.tracing import trace_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


CONNECT_SECONDS = 5
# A connection back in the pool for less than this is used without a round trip to check it.
PING_AFTER_IDLE_SECONDS = 1.0


class Base(DeclarativeBase):
    """Each service subclasses this once, so each service has its own metadata."""

    __abstract__ = True
    type_annotation_map = {datetime: DateTime(timezone=True)}  # noqa: RUF012


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class Database:
    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        # hide_parameters: a database error (logged, or in a traceback) names the statement but
        # never its bound values, which may be an RRN, a name or clinical content.
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            # A connection the server closed (a restart) is found and replaced before use
            # (`check_on_checkout`); one found broken during use invalidates the pool's others
            # (SQLAlchemy does so on a disconnect), and the request is answered 503
            # (medrec_shared.platform.outages).
            # A server that is away is said so in seconds, not after asyncpg's minute, so that
            # requests are answered 503 and /readyz within its own timeout.
            pool_timeout=CONNECT_SECONDS * 2,
            connect_args={"timeout": CONNECT_SECONDS},
            echo=echo,
            hide_parameters=True,
        )
        check_on_checkout(self.engine)
        trace_engine(self.engine)  # its statements as spans, when traces are on
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def ping(self) -> bool:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()


def check_on_checkout(engine: AsyncEngine) -> None:
    """Pessimistic disconnect handling, at a round trip only where one can tell something.

    SQLAlchemy's `pool_pre_ping` pinged on every checkout, for asyncpg as BEGIN, `;` and
    ROLLBACK: three round trips before each transaction, two checkouts a single deposit, some
    10% of ingest's samples (docs/performance.md, #32). A server that restarts or stops closes
    its connections, which asyncpg sees at once (`is_closed`): such a connection is replaced
    without a round trip. One that sat idle in the pool for longer than
    `PING_AFTER_IDLE_SECONDS` (a network may have dropped it silently) is still pinged. A
    connection found dead raises `DisconnectionError`, on which the pool discards it and checks
    out another (SQLAlchemy's documented pessimistic handling)."""
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "connect")
    def _opened(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["returned"] = time.monotonic()

    @event.listens_for(pool, "checkin")
    def _returned(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["returned"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked(
        dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed this connection")
        if time.monotonic() - record.info.get("returned", 0.0) < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dbapi_connection.ping()  # in the pool's greenlet: awaits the driver's round trip
        except Exception as exc:
            raise DisconnectionError("the connection did not answer a ping") from exc


class Repository:
    """Base of every repository: holds the caller's session and never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def scalar(self, statement: Any) -> Any:
        return (await self.session.execute(statement)).scalar_one_or_none()


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    components = components_of(request)
    async with components.db.sessions() as session, session.begin():
        open_unit(session, components.outbox)
        yield session
        await write_announcements(session)  # what the request announced, before the commit


# The request owns the transaction (its unit of work: what it announces is written to the outbox
# just before the commit): committed when the endpoint returns and before the response
# is sent (scope="function"), so a client never sees a success that was not committed; rolled
# back on a problem.
DbSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]


class Transactions:
    """The unit of work of code that needs several short transactions (a batch deposit, a sweep,
    a re-wrap job): each `begin()` is one transaction, committed when its block ends and rolled
    back if it raises. A function that takes a `Transactions` says so in its signature; one that
    takes a session never commits. What is announced in a transaction (`messaging.announce`) is
    written to `outbox` just before its commit; without an outbox, nothing may be announced."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], outbox: Outbox | None = None
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox

    @classmethod
    def of(cls, database: Database, outbox: Outbox | None = None) -> "Transactions":
        return cls(database.sessions, outbox)

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session, session.begin():
            if self._outbox is not None:
                open_unit(session, self._outbox)
            yield session
            await write_announcements(session)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for a single statement that only reads: run in autocommit, so no BEGIN or
        COMMIT goes to the database (one statement sees one snapshot by itself). Nothing done
        in it can be rolled back: never write in it."""
        async with self._sessions() as session:
            await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            yield session
