"""van load: van_load_items, van_holds, products.orderable_off_van

Revision ID: 4b7e2a9c1d30
Revises: 5e7a1c0b9d21
Create Date: 2026-12-06 19:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4b7e2a9c1d30'
down_revision = '5e7a1c0b9d21'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('orderable_off_van', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))

    op.create_table('van_load_items',
    sa.Column('id', ID, nullable=False),
    sa.Column('courier_id', ID, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('product_id', ID, nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('reserved >= 0 AND reserved <= quantity',
                       name=op.f('ck_van_load_items_reserved_within_quantity')),
    sa.ForeignKeyConstraint(['courier_id'], ['couriers.id'], name=op.f('fk_van_load_items_courier_id_couriers')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_van_load_items_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_van_load_items')),
    sa.UniqueConstraint('courier_id', 'day', 'product_id', name=op.f('uq_van_load_items_courier_id_day_product_id'))
    )
    with op.batch_alter_table('van_load_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_van_load_items_product_id'), ['product_id'], unique=False)

    op.create_table('van_holds',
    sa.Column('id', ID, nullable=False),
    sa.Column('order_id', ID, nullable=True),
    sa.Column('round_id', ID, nullable=True),
    sa.Column('product_id', ID, nullable=False),
    sa.Column('van_load_item_id', ID, nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_van_holds_quantity')),
    sa.CheckConstraint('(order_id IS NULL) <> (round_id IS NULL)', name=op.f('ck_van_holds_one_holder')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_van_holds_order_id_orders')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_van_holds_product_id_products')),
    sa.ForeignKeyConstraint(['round_id'], ['shake_rounds.id'], name=op.f('fk_van_holds_round_id_shake_rounds')),
    sa.ForeignKeyConstraint(['van_load_item_id'], ['van_load_items.id'],
                            name=op.f('fk_van_holds_van_load_item_id_van_load_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_van_holds'))
    )
    with op.batch_alter_table('van_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_van_holds_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_van_holds_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_van_holds_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_van_holds_van_load_item_id'), ['van_load_item_id'], unique=False)


def downgrade():
    op.drop_table('van_holds')
    op.drop_table('van_load_items')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('orderable_off_van')
