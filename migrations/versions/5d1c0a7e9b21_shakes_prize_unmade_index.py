"""shakes: index of wins whose prize was never made

Revision ID: 5d1c0a7e9b21
Revises: 74899a4b5ec0
Create Date: 2026-12-01 22:35:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d1c0a7e9b21'
down_revision = '74899a4b5ec0'
branch_labels = None
depends_on = None

PRIZE_UNMADE = {"postgresql": "won AND coupon_id IS NULL AND order_id IS NULL",
                "sqlite": "won = 1 AND coupon_id IS NULL AND order_id IS NULL"}
WHERE = {f"{dialect}_where": sa.text(predicate) for dialect, predicate in PRIZE_UNMADE.items()}


def upgrade():
    op.create_index('ix_shakes_prize_unmade', 'shakes', ['created_at'], unique=False, **WHERE)


def downgrade():
    op.drop_index('ix_shakes_prize_unmade', table_name='shakes', **WHERE)
