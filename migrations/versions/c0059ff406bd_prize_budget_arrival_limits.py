"""prize budget over a campaign, rounds per compound a day, arrivals refused or repeated

Revision ID: c0059ff406bd
Revises: d395bc2eda12
Create Date: 2026-12-06 16:26:20.630943

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0059ff406bd'
down_revision = 'd395bc2eda12'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('arrivals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('too_far', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('repeat', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_arrivals_courier_received', ['courier_id', 'received_at'], unique=False)

    with op.batch_alter_table('campaign_prizes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('total', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('allocated', sa.Integer(), server_default=sa.text('0'),
                                      nullable=False))
        batch_op.create_check_constraint('allocated_within_total',
                                         'allocated >= 0 AND (total IS NULL OR allocated <= total)')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rounds_per_compound_per_day', sa.Integer(),
                                      server_default=sa.text('2'), nullable=False))
        batch_op.create_check_constraint('rounds_per_compound_per_day', 'rounds_per_compound_per_day >= 1')


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_constraint('rounds_per_compound_per_day', type_='check')
        batch_op.drop_column('rounds_per_compound_per_day')

    with op.batch_alter_table('campaign_prizes', schema=None) as batch_op:
        batch_op.drop_constraint('allocated_within_total', type_='check')
        batch_op.drop_column('allocated')
        batch_op.drop_column('total')

    with op.batch_alter_table('arrivals', schema=None) as batch_op:
        batch_op.drop_index('ix_arrivals_courier_received')
        batch_op.drop_column('repeat')
        batch_op.drop_column('too_far')
