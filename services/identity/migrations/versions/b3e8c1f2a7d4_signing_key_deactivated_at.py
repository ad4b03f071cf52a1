"""signing keys: when each one stopped signing

Revision ID: b3e8c1f2a7d4
Revises: a6864d9d5fe7
Create Date: 2026-12-02 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b3e8c1f2a7d4'
down_revision: str | None = 'a6864d9d5fe7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('signing_keys', sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True))
    # A key that stopped signing before this column existed waits a whole token lifetime from
    # now before `retire` takes it out of the JWKS: never sooner than its last token expires.
    op.execute(
        "UPDATE signing_keys SET deactivated_at = now() "
        "WHERE NOT active AND retired_at IS NULL"
    )


def downgrade() -> None:
    op.drop_column('signing_keys', 'deactivated_at')
