"""prestock: prestock_settings (the safety margin), prestock_plan_items (van loads ops reviewed)

Revision ID: a7c3e5f1b2d4
Revises: 7c3e9a1f5b20
Create Date: 2027-01-10 10:00:00

"""
from alembic import op
import sqlalchemy as sa

from app.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'a7c3e5f1b2d4'
down_revision = '7c3e9a1f5b20'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('prestock_settings',
    sa.Column('id', ID, nullable=False),
    sa.Column('margin_percent', sa.Integer(), nullable=False),
    sa.Column('margin_minimum', sa.Integer(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.CheckConstraint('margin_percent >= 0 AND margin_minimum >= 0', name=op.f('ck_prestock_settings_margin')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prestock_settings'))
    )
    op.create_table('prestock_plan_items',
    sa.Column('id', ID, nullable=False),
    sa.Column('courier_id', ID, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('product_id', ID, nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('by_compound', sa.JSON(), nullable=False),
    sa.Column('saved_at', UTCDateTime(), nullable=False),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_prestock_plan_items_quantity')),
    sa.ForeignKeyConstraint(['courier_id'], ['couriers.id'], name=op.f('fk_prestock_plan_items_courier_id_couriers')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_prestock_plan_items_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prestock_plan_items')),
    sa.UniqueConstraint('courier_id', 'day', 'product_id',
                        name=op.f('uq_prestock_plan_items_courier_id_day_product_id'))
    )
    with op.batch_alter_table('prestock_plan_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prestock_plan_items_product_id'), ['product_id'], unique=False)


def downgrade():
    op.drop_table('prestock_plan_items')
    op.drop_table('prestock_settings')
