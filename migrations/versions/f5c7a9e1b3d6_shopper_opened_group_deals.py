"""deals that let shoppers open group deals (group_price_fen, group_min_households); group deals
opened that way (from_deal_id, opened_by_shopper_id)

Revision ID: f5c7a9e1b3d6
Revises: e8b1c4f6a2d9
Create Date: 2026-12-06 23:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f5c7a9e1b3d6'
down_revision = 'e8b1c4f6a2d9'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_price_fen', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('group_min_households', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_deals_group_terms'),
                                         '(group_price_fen IS NULL) = (group_min_households IS NULL)')
    with op.batch_alter_table('group_deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('from_deal_id', ID, nullable=True))
        batch_op.add_column(sa.Column('opened_by_shopper_id', ID, nullable=True))
        batch_op.create_foreign_key(op.f('fk_group_deals_from_deal_id_deals'), 'deals', ['from_deal_id'], ['id'])
        batch_op.create_foreign_key(op.f('fk_group_deals_opened_by_shopper_id_shoppers'), 'shoppers',
                                    ['opened_by_shopper_id'], ['id'])


def downgrade():
    with op.batch_alter_table('group_deals', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_group_deals_opened_by_shopper_id_shoppers'), type_='foreignkey')
        batch_op.drop_constraint(op.f('fk_group_deals_from_deal_id_deals'), type_='foreignkey')
        batch_op.drop_column('opened_by_shopper_id')
        batch_op.drop_column('from_deal_id')
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_deals_group_terms'), type_='check')
        batch_op.drop_column('group_min_households')
        batch_op.drop_column('group_price_fen')
