"""Persons: verified citizens and the children their guardians act for. A person is found by the
keyed hash of their RRN; the RRN, name and verified phone are kept only sealed with the field
keyring (`persons.sealing`)."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from medrec_identity.models import Person, PersonContact
from medrec_shared.platform.db import Repository
from medrec_shared.platform.ids import new_id


@dataclass(frozen=True)
class NewPerson:
    person_key: str
    rrn_sealed: bytes
    name_sealed: bytes
    birth_date: date
    created_at: datetime  # the clock port's "now"


class PersonRepository(Repository):
    async def by_key(self, person_key: str) -> Person | None:
        return await self.scalar(select(Person).where(Person.person_key == person_key))

    async def get(self, person_id: uuid.UUID) -> Person | None:
        return await self.session.get(Person, person_id)

    async def find_or_create(self, new: NewPerson) -> Person:
        """The person with this key, created if absent; safe when two requests race."""
        await self.session.execute(
            insert(Person)
            .values(
                person_id=new_id(),
                person_key=new.person_key,
                rrn_sealed=new.rrn_sealed,
                name_sealed=new.name_sealed,
                birth_date=new.birth_date,
                created_at=new.created_at,
            )
            .on_conflict_do_nothing(index_elements=[Person.person_key])
        )
        person = await self.by_key(new.person_key)
        assert person is not None
        return person


class ContactRepository(Repository):
    """One contact per person: a newer verification's phone replaces the one kept."""

    async def put(
        self, *, person_key: str, phone_sealed: bytes, provider: str, verified_at: datetime
    ) -> None:
        statement = insert(PersonContact).values(
            person_key=person_key,
            phone_sealed=phone_sealed,
            provider=provider,
            verified_at=verified_at,
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[PersonContact.person_key],
                set_={
                    "phone_sealed": statement.excluded.phone_sealed,
                    "provider": statement.excluded.provider,
                    "verified_at": statement.excluded.verified_at,
                },
                # two verifications confirmed at once: the later one's phone stays
                where=PersonContact.verified_at <= statement.excluded.verified_at,
            )
        )

    async def get(self, person_key: str) -> PersonContact | None:
        return await self.session.get(PersonContact, person_key)
