"""staff accounts, their sessions and OIDC sign-ins; who registered each client (#27)

Revision ID: c7d2e9a41b06
Revises: b3e8c1f2a7d4
Create Date: 2026-12-07 12:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c7d2e9a41b06'
down_revision: str | None = 'b3e8c1f2a7d4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def upgrade() -> None:
    op.create_table('staff_accounts',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('login', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organisation', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=8), nullable=True),
    sa.Column('roles', sa.ARRAY(sa.String(length=32)), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('totp_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('totp_last_step', sa.BigInteger(), nullable=True),
    sa.Column('must_change_password', sa.Boolean(), nullable=False),
    sa.Column('second_factor_failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_staff_accounts')),
    sa.UniqueConstraint('login', name=op.f('uq_staff_accounts_login'))
    )
    op.create_table('staff_sessions',
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['staff_accounts.account_id'], name=op.f('fk_staff_sessions_account_id_staff_accounts')),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_staff_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_sessions_token_hash'))
    )
    op.create_index(op.f('ix_staff_sessions_account_id'), 'staff_sessions', ['account_id'], unique=False)
    op.create_index(op.f('ix_staff_sessions_expires_at'), 'staff_sessions', ['expires_at'], unique=False)
    op.create_table('staff_oidc_flows',
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('secrets_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('redirect_uri', sa.String(length=2000), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('state_hash', name=op.f('pk_staff_oidc_flows'))
    )
    op.create_index(op.f('ix_staff_oidc_flows_expires_at'), 'staff_oidc_flows', ['expires_at'], unique=False)
    op.add_column('api_clients', sa.Column('registered_by', sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column('api_clients', 'registered_by')
    op.drop_index(op.f('ix_staff_oidc_flows_expires_at'), table_name='staff_oidc_flows')
    op.drop_table('staff_oidc_flows')
    op.drop_index(op.f('ix_staff_sessions_expires_at'), table_name='staff_sessions')
    op.drop_index(op.f('ix_staff_sessions_account_id'), table_name='staff_sessions')
    op.drop_table('staff_sessions')
    op.drop_table('staff_accounts')
