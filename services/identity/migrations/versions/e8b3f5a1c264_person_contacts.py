"""a verified person's mobile number, sealed, for notices (#29); a verification's phone sealed

Revision ID: e8b3f5a1c264
Revises: d1f4a8c3e592
Create Date: 2026-12-07 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e8b3f5a1c264'
down_revision: str | None = 'd1f4a8c3e592'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Verifications started before this revision have no sealed phone: confirming one stores
    # no contact (the person's next verification does).
    op.add_column('verifications', sa.Column('phone_sealed', sa.LargeBinary(), nullable=True))
    op.create_table('person_contacts',
    sa.Column('person_key', sa.String(length=64), nullable=False),
    sa.Column('phone_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_key'], ['persons.person_key'], name=op.f('fk_person_contacts_person_key_persons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_key', name=op.f('pk_person_contacts'))
    )


def downgrade() -> None:
    op.drop_table('person_contacts')
    op.drop_column('verifications', 'phone_sealed')
