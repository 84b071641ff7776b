"""a cancelled win finds its shake (ix_shakes_order_id); order lines for the next run

Revision ID: a3c9e5f7b2d4
Revises: e1a4c7d2b9f0
Create Date: 2026-12-06 22:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c9e5f7b2d4'
down_revision = 'e1a4c7d2b9f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_run', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('shakes', schema=None) as batch_op:
        batch_op.create_index('ix_shakes_order_id', ['order_id'], unique=True,
                              postgresql_where=sa.text('order_id IS NOT NULL'),
                              sqlite_where=sa.text('order_id IS NOT NULL'))
    # Lines already waiting for the next run: those whose van hold reserved nothing on the van.
    op.execute("UPDATE order_items SET next_run = true WHERE EXISTS (SELECT 1 FROM van_holds h "
               "WHERE h.order_id = order_items.order_id AND h.product_id = order_items.product_id "
               "AND h.van_load_item_id IS NULL)")


def downgrade():
    with op.batch_alter_table('shakes', schema=None) as batch_op:
        batch_op.drop_index('ix_shakes_order_id')
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.drop_column('next_run')
