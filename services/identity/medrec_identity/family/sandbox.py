"""The sandbox family registry: links seeded through `POST /v1/sandbox/family-links` into
identity's own table, found by the parent's keyed hash. Local stack only."""

from datetime import date

from sqlalchemy import select

from medrec_identity.family.port import FamilyEntry, RegistryQuery
from medrec_identity.models import FamilyLink
from medrec_identity.persons.sealing import unseal_name, unseal_rrn
from medrec_shared.platform.crypto import Keyring
from medrec_shared.platform.db import Repository


class FamilyLinkRepository(Repository):
    async def add(self, link: FamilyLink) -> None:
        self.session.add(link)
        await self.session.flush()

    async def of_parent(self, parent_key: str) -> list[FamilyLink]:
        rows = await self.session.execute(
            select(FamilyLink).where(FamilyLink.parent_key == parent_key).order_by(FamilyLink.id)
        )
        return list(rows.scalars())


class SandboxFamilyRegistry:
    def __init__(self, links: FamilyLinkRepository, keyring: Keyring) -> None:
        self.links = links
        self.keyring = keyring

    async def children_of(self, parent: RegistryQuery, as_of: date) -> list[FamilyEntry]:
        return [
            FamilyEntry(
                rrn=unseal_rrn(self.keyring, link.child_rrn_sealed),
                name=unseal_name(self.keyring, link.child_name_sealed),
                birth_date=link.child_birth_date,
                relation="guardian" if link.relation == "guardian" else "parent",
                parental_authority=link.parental_authority,
            )
            for link in await self.links.of_parent(parent.person_key)
        ]
