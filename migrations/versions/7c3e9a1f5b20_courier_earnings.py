"""courier earnings: commission rules per category; coupons carry the courier a claim came through

Revision ID: 7c3e9a1f5b20
Revises: a3c9e5f7b2d4
Create Date: 2026-12-08 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = '7c3e9a1f5b20'
down_revision = 'a3c9e5f7b2d4'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TIME = app.models.base.UTCDateTime(timezone=True)


def upgrade():
    op.create_table('commission_rules',
    sa.Column('id', ID, nullable=False),
    sa.Column('category', sa.String(length=60), nullable=False),
    sa.Column('rate_bp', sa.Integer(), nullable=False),
    sa.Column('updated_at', TIME, nullable=False),
    sa.CheckConstraint('rate_bp >= 0 AND rate_bp <= 10000', name=op.f('ck_commission_rules_rate_bp')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commission_rules')),
    sa.UniqueConstraint('category', name=op.f('uq_commission_rules_category'))
    )
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('courier_id', ID, nullable=True))
        batch_op.create_index(batch_op.f('ix_coupons_courier_id'), ['courier_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_coupons_courier_id_couriers'), 'couriers', ['courier_id'], ['id'])


def downgrade():
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_coupons_courier_id_couriers'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_coupons_courier_id'))
        batch_op.drop_column('courier_id')
    op.drop_table('commission_rules')
