"""commission_rate_changes: every rate change from when it applies (statements pay each line at
the rate in force at its handover)

Revision ID: e8b1c4f6a2d9
Revises: d2a6f8c0e4b7
Create Date: 2026-12-06 23:40:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = 'e8b1c4f6a2d9'
down_revision = 'd2a6f8c0e4b7'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('commission_rate_changes',
    sa.Column('id', ID, nullable=False),
    sa.Column('category', sa.String(length=60), nullable=False),
    sa.Column('rate_bp', sa.Integer(), nullable=True),
    sa.Column('effective_from', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rate_bp IS NULL OR (rate_bp >= 0 AND rate_bp <= 10000)',
                       name=op.f('ck_commission_rate_changes_rate_bp')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commission_rate_changes'))
    )
    op.create_index('ix_commission_rate_changes_category_effective_from', 'commission_rate_changes',
                    ['category', 'effective_from'], unique=False)
    # The rates in force so far applied to every month statements were made for: keep them so.
    op.execute("INSERT INTO commission_rate_changes (category, rate_bp, effective_from, created_at) "
               "SELECT category, rate_bp, '1970-01-01 00:00:00', updated_at FROM commission_rules")


def downgrade():
    op.drop_index('ix_commission_rate_changes_category_effective_from', table_name='commission_rate_changes')
    op.drop_table('commission_rate_changes')
