"""group deals (凑单): deals, joins, and orders held until their group's outcome

Revision ID: 5b8d2f4a6c91
Revises: f3b8d1e5a720
Create Date: 2026-12-10 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = '5b8d2f4a6c91'
down_revision = 'f3b8d1e5a720'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TIME = app.models.base.UTCDateTime(timezone=True)
NOW = sa.text('(CURRENT_TIMESTAMP)')


def upgrade():
    op.create_table('group_deals',
    sa.Column('id', ID, nullable=False),
    sa.Column('product_id', ID, nullable=False),
    sa.Column('compound_id', ID, nullable=False),
    sa.Column('courier_id', ID, nullable=False),
    sa.Column('group_price_fen', sa.Integer(), nullable=False),
    sa.Column('min_households', sa.Integer(), nullable=False),
    sa.Column('max_households', sa.Integer(), nullable=True),
    sa.Column('deadline', TIME, nullable=False),
    sa.Column('status', sa.String(length=20), server_default='open', nullable=False),
    sa.Column('joined', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_by_staff_id', ID, nullable=True),
    sa.Column('settled_at', TIME, nullable=True),
    sa.Column('created_at', TIME, server_default=NOW, nullable=False),
    sa.CheckConstraint("status IN ('open', 'succeeded', 'failed')", name=op.f('ck_group_deals_status')),
    sa.CheckConstraint('min_households >= 1', name=op.f('ck_group_deals_min_households')),
    sa.CheckConstraint('max_households IS NULL OR max_households >= min_households',
                       name=op.f('ck_group_deals_max_households')),
    sa.CheckConstraint('joined >= 0 AND (max_households IS NULL OR joined <= max_households)',
                       name=op.f('ck_group_deals_joined')),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_group_deals_compound_id_compounds')),
    sa.ForeignKeyConstraint(['courier_id'], ['couriers.id'], name=op.f('fk_group_deals_courier_id_couriers')),
    sa.ForeignKeyConstraint(['created_by_staff_id'], ['staff.id'],
                            name=op.f('fk_group_deals_created_by_staff_id_staff')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_group_deals_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_deals'))
    )
    with op.batch_alter_table('group_deals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_deals_compound_id'), ['compound_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_deals_courier_id'), ['courier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_deals_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_deals_product_id'), ['product_id'], unique=False)

    op.create_table('group_joins',
    sa.Column('id', ID, nullable=False),
    sa.Column('group_deal_id', ID, nullable=False),
    sa.Column('shopper_id', ID, nullable=False),
    sa.Column('order_id', ID, nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='active', nullable=False),
    sa.Column('created_at', TIME, server_default=NOW, nullable=False),
    sa.CheckConstraint("status IN ('active', 'left')", name=op.f('ck_group_joins_status')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_group_joins_quantity')),
    sa.ForeignKeyConstraint(['group_deal_id'], ['group_deals.id'], name=op.f('fk_group_joins_group_deal_id_group_deals')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_group_joins_order_id_orders')),
    sa.ForeignKeyConstraint(['shopper_id'], ['shoppers.id'], name=op.f('fk_group_joins_shopper_id_shoppers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_joins')),
    sa.UniqueConstraint('group_deal_id', 'shopper_id', name=op.f('uq_group_joins_group_deal_id_shopper_id')),
    sa.UniqueConstraint('order_id', name=op.f('uq_group_joins_order_id'))
    )
    with op.batch_alter_table('group_joins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_joins_shopper_id'), ['shopper_id'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('held')
    op.drop_table('group_joins')
    op.drop_table('group_deals')
