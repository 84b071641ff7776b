"""group deals unlocked by an amount too: group_deals.min_amount_fen, joined_fen

Revision ID: d2a6f8c0e4b7
Revises: 9c4e2a7d1f63
Create Date: 2026-12-06 23:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2a6f8c0e4b7'
down_revision = '9c4e2a7d1f63'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('group_deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_amount_fen', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('joined_fen', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_group_deals_min_amount_fen'),
                                         'min_amount_fen IS NULL OR min_amount_fen >= 1')
        batch_op.create_check_constraint(op.f('ck_group_deals_joined_fen'), 'joined_fen >= 0')
    # What the joins still in each deal come to.
    op.execute("UPDATE group_deals SET joined_fen = COALESCE((SELECT SUM(o.total_fen) FROM group_joins j "
               "JOIN orders o ON o.id = j.order_id WHERE j.group_deal_id = group_deals.id "
               "AND j.status = 'active'), 0)")


def downgrade():
    with op.batch_alter_table('group_deals', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_group_deals_joined_fen'), type_='check')
        batch_op.drop_constraint(op.f('ck_group_deals_min_amount_fen'), type_='check')
        batch_op.drop_column('joined_fen')
        batch_op.drop_column('min_amount_fen')
