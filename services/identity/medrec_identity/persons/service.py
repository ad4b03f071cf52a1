"""Persons as the other domains of identity ask for them: a person found by their key, and the
person a verification or the family registry names, created on first sight. Nothing here
commits: it works in the caller's transaction."""

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_identity.models import Person
from medrec_identity.persons.repository import NewPerson, PersonRepository


async def person_by_key(session: AsyncSession, person_key: str) -> Person | None:
    return await PersonRepository(session).by_key(person_key)


async def find_or_create_person(
    session: AsyncSession,
    *,
    person_key: str,
    rrn_sealed: bytes,
    name_sealed: bytes,
    birth_date: date,
    created_at: datetime,
) -> Person:
    """The person with this key, created if absent (sealed RRN and name as given); safe when
    two requests race."""
    return await PersonRepository(session).find_or_create(
        NewPerson(
            person_key=person_key,
            rrn_sealed=rrn_sealed,
            name_sealed=name_sealed,
            birth_date=birth_date,
            created_at=created_at,
        )
    )
