"""compound_days and compound_portraits: the compound portrait (issue 15)

Revision ID: f3b8d1e5a720
Revises: a7c3e5f1b2d4
Create Date: 2026-12-06 22:10:00

"""
from alembic import op
import sqlalchemy as sa

from app.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'f3b8d1e5a720'
down_revision = 'a7c3e5f1b2d4'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('compound_days',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('compound_id', BIG_ID, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('spend_fen', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('category_fen', sa.JSON(), nullable=False),
    sa.Column('band_fen', sa.JSON(), nullable=False),
    sa.Column('hour_orders', sa.JSON(), nullable=False),
    sa.Column('shopper_orders', sa.JSON(), nullable=False),
    sa.Column('product_units', sa.JSON(), nullable=False),
    sa.Column('claims', sa.Integer(), nullable=False),
    sa.Column('wins', sa.Integer(), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.Column('computed_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_compound_days_compound_id_compounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compound_days')),
    sa.UniqueConstraint('compound_id', 'day', name=op.f('uq_compound_days_compound_id_day'))
    )
    op.create_table('compound_portraits',
    sa.Column('compound_id', BIG_ID, nullable=False),
    sa.Column('as_of', UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_through', sa.Date(), nullable=True),
    sa.Column('body', sa.JSON(), nullable=True),
    sa.Column('claimed_until', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_compound_portraits_compound_id_compounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('compound_id', name=op.f('pk_compound_portraits'))
    )


def downgrade():
    op.drop_table('compound_portraits')
    op.drop_table('compound_days')
