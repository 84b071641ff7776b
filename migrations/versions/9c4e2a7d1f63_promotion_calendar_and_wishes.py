"""promotion calendar and wishes: marketing's events of the year, shoppers' wishes with their stored plans, notices sent once

Revision ID: 9c4e2a7d1f63
Revises: f3d8b6a2c914
Create Date: 2026-12-06 22:25:02.712967

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = '9c4e2a7d1f63'
down_revision = 'f3d8b6a2c914'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TIME = app.models.base.UTCDateTime(timezone=True)
NOW = sa.text('(CURRENT_TIMESTAMP)')


def upgrade():
    op.create_table('promotion_events',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('expected_discount_pct', sa.JSON(), nullable=False),
    sa.Column('created_at', TIME, server_default=NOW, nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_promotion_events_dates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_events'))
    )
    op.create_table('wishes',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('shopper_id', BIG_ID, nullable=False),
    sa.Column('product_id', BIG_ID, nullable=True),
    sa.Column('category', sa.String(length=60), nullable=True),
    sa.Column('budget_fen', sa.Integer(), nullable=True),
    sa.Column('need_by', sa.Date(), nullable=False),
    sa.Column('compound_id', BIG_ID, nullable=True),
    sa.Column('plan_buy_on', sa.Date(), nullable=True),
    sa.Column('plan_event_id', BIG_ID, nullable=True),
    sa.Column('plan_product_id', BIG_ID, nullable=True),
    sa.Column('plan_expected_price_fen', sa.Integer(), nullable=True),
    sa.Column('plan_saving_fen', sa.Integer(), nullable=True),
    sa.Column('planned_at', TIME, nullable=True),
    sa.Column('created_at', TIME, server_default=NOW, nullable=False),
    sa.CheckConstraint('product_id IS NOT NULL OR category IS NOT NULL', name=op.f('ck_wishes_what')),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_wishes_compound_id_compounds')),
    sa.ForeignKeyConstraint(['plan_event_id'], ['promotion_events.id'], name=op.f('fk_wishes_plan_event_id_promotion_events')),
    sa.ForeignKeyConstraint(['plan_product_id'], ['products.id'], name=op.f('fk_wishes_plan_product_id_products')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_wishes_product_id_products')),
    sa.ForeignKeyConstraint(['shopper_id'], ['shoppers.id'], name=op.f('fk_wishes_shopper_id_shoppers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wishes'))
    )
    with op.batch_alter_table('wishes', schema=None) as batch_op:
        batch_op.create_index('ix_wishes_compound_id_plan_buy_on', ['compound_id', 'plan_buy_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_wishes_shopper_id'), ['shopper_id'], unique=False)

    op.create_table('wish_notices',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('wish_id', BIG_ID, nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('queued', sa.Boolean(), nullable=False),
    sa.Column('created_at', TIME, server_default=NOW, nullable=False),
    sa.ForeignKeyConstraint(['wish_id'], ['wishes.id'], name=op.f('fk_wish_notices_wish_id_wishes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wish_notices')),
    sa.UniqueConstraint('wish_id', 'reason', name=op.f('uq_wish_notices_wish_id_reason'))
    )


def downgrade():
    op.drop_table('wish_notices')
    with op.batch_alter_table('wishes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wishes_shopper_id'))
        batch_op.drop_index('ix_wishes_compound_id_plan_buy_on')

    op.drop_table('wishes')
    op.drop_table('promotion_events')
