"""product_views: the product each shopper views in a compound now (live popularity, SQL counters)

Revision ID: b7e2f4a91c35
Revises: 5b8d2f4a6c91
Create Date: 2026-12-20 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2f4a91c35'
down_revision = '5b8d2f4a6c91'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('product_views',
    sa.Column('compound_id', BIG_ID, nullable=False),
    sa.Column('shopper_id', BIG_ID, nullable=False),
    sa.Column('product_id', BIG_ID, nullable=True),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_product_views_compound_id_compounds')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_views_product_id_products')),
    sa.ForeignKeyConstraint(['shopper_id'], ['shoppers.id'], name=op.f('fk_product_views_shopper_id_shoppers')),
    sa.PrimaryKeyConstraint('compound_id', 'shopper_id', name=op.f('pk_product_views'))
    )
    with op.batch_alter_table('product_views', schema=None) as batch_op:
        batch_op.create_index('ix_product_views_compound_id_seen_at', ['compound_id', 'seen_at'], unique=False)


def downgrade():
    with op.batch_alter_table('product_views', schema=None) as batch_op:
        batch_op.drop_index('ix_product_views_compound_id_seen_at')
    op.drop_table('product_views')
