"""deals: clearance quantity, sold, sold_out_at; clearance_sales

Revision ID: 7c3f9e2a5b14
Revises: b7e2f4a91c35
Create Date: 2026-12-20 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = '7c3f9e2a5b14'
down_revision = 'b7e2f4a91c35'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TIME = app.models.base.UTCDateTime(timezone=True)
NOW = sa.text('(CURRENT_TIMESTAMP)')


def upgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quantity', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sold', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('sold_out_at', TIME, nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_deals_sold_within_quantity'),
                                         'sold >= 0 AND (quantity IS NULL OR sold <= quantity)')

    op.create_table('clearance_sales',
    sa.Column('id', ID, nullable=False),
    sa.Column('deal_id', ID, nullable=False),
    sa.Column('order_id', ID, nullable=False),
    sa.Column('product_id', ID, nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('held', sa.Integer(), nullable=False),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('regular_price_fen', sa.Integer(), nullable=False),
    sa.Column('created_at', TIME, server_default=NOW, nullable=False),
    sa.CheckConstraint('units > 0', name=op.f('ck_clearance_sales_units')),
    sa.CheckConstraint('held >= 0 AND held <= units', name=op.f('ck_clearance_sales_held_within_units')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_clearance_sales_deal_id_deals')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_clearance_sales_order_id_orders')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                            name=op.f('fk_clearance_sales_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clearance_sales'))
    )
    with op.batch_alter_table('clearance_sales', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clearance_sales_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clearance_sales_order_id'), ['order_id'], unique=False)


def downgrade():
    op.drop_table('clearance_sales')
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_deals_sold_within_quantity'), type_='check')
        batch_op.drop_column('sold_out_at')
        batch_op.drop_column('sold')
        batch_op.drop_column('quantity')
