"""no client keeps the blanket `admin`: those holding it get the machine scopes (#27)

Revision ID: d1f4a8c3e592
Revises: c7d2e9a41b06
Create Date: 2026-12-07 12:25:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd1f4a8c3e592'
down_revision: str | None = 'c7d2e9a41b06'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# medrec_shared.rules.staff.MACHINE_SCOPES as of this revision (a migration never imports code
# that may change after it). The decisions that need a person (reviews, links, releases) are in
# no machine's scopes: they are a staff token's only.
MACHINE_SCOPES = sorted(
    {
        "stats:read",
        "transfers:oversee",
        "retention:manage",
        "destructions:read",
        "sweeps:run",
        "clients:manage",
        "dead-letters:manage",
        "keys:manage",
    }
)


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE api_clients SET scopes = CAST(:scopes AS varchar(64)[]) "
            "WHERE 'admin' = ANY(scopes)"
        ).bindparams(scopes="{" + ",".join(MACHINE_SCOPES) + "}")
    )


def downgrade() -> None:
    # The machine scopes go back to the one scope that covered them all before.
    op.execute(
        sa.text(
            "UPDATE api_clients SET scopes = ARRAY['admin']::varchar(64)[] "
            "WHERE 'clients:manage' = ANY(scopes) AND 'sweeps:run' = ANY(scopes)"
        )
    )
