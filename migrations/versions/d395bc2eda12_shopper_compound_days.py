"""shopper_compound_days: the one compound a shopper shakes in per campaign and day

Revision ID: d395bc2eda12
Revises: 5d1c0a7e9b21
Create Date: 2026-12-06 16:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd395bc2eda12'
down_revision = '5d1c0a7e9b21'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('shopper_compound_days',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('campaign_id', BIG_ID, nullable=False),
    sa.Column('shopper_id', BIG_ID, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('compound_id', BIG_ID, nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_shopper_compound_days_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_shopper_compound_days_compound_id_compounds')),
    sa.ForeignKeyConstraint(['shopper_id'], ['shoppers.id'], name=op.f('fk_shopper_compound_days_shopper_id_shoppers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shopper_compound_days')),
    sa.UniqueConstraint('campaign_id', 'shopper_id', 'day', name=op.f('uq_shopper_compound_days_campaign_id_shopper_id_day'))
    )
    with op.batch_alter_table('shopper_compound_days', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shopper_compound_days_shopper_id'), ['shopper_id'], unique=False)


def downgrade():
    with op.batch_alter_table('shopper_compound_days', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shopper_compound_days_shopper_id'))
    op.drop_table('shopper_compound_days')
