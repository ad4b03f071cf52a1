"""Persons as the other domains of identity ask for them: a person found by their key, the person
a verification or the family registry names, created on first sight, and the mobile number a
verification proved, kept sealed (one per person, the newest). Nothing here commits: it works in
the caller's transaction."""

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_identity.keys import phone_digits
from medrec_identity.models import Person
from medrec_identity.persons.repository import ContactRepository, NewPerson, PersonRepository
from medrec_identity.persons.sealing import seal_phone, unseal_phone
from medrec_shared.platform.crypto import Keyring


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


async def remember_phone(
    session: AsyncSession,
    keyring: Keyring,
    *,
    person_key: str,
    phone: str,
    provider: str,
    verified_at: datetime,
) -> None:
    """The person's mobile number is now `phone` (as a verification proved it), sealed; it
    replaces the one an earlier verification proved."""
    await ContactRepository(session).put(
        person_key=person_key,
        phone_sealed=seal_phone(keyring, phone_digits(phone)),
        provider=provider,
        verified_at=verified_at,
    )


async def verified_phone(session: AsyncSession, keyring: Keyring, person_key: str) -> str | None:
    """The digits of the person's verified mobile number, or None when no verification proved
    one."""
    contact = await ContactRepository(session).get(person_key)
    return None if contact is None else unseal_phone(keyring, contact.phone_sealed)
