"""message_subscriptions and message_outbox (subscribe messages)

Revision ID: 5e7a1c0b9d21
Revises: dd6107b9bf5a
Create Date: 2026-12-06 20:00:00

"""
from alembic import op
import sqlalchemy as sa

from app.models.base import BigId, UTCDateTime

# revision identifiers, used by Alembic.
revision = '5e7a1c0b9d21'
down_revision = 'dd6107b9bf5a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'message_subscriptions',
        sa.Column('id', BigId, nullable=False),
        sa.Column('shopper_id', BigId, nullable=False),
        sa.Column('template_id', sa.String(length=64), nullable=False),
        sa.Column('sends_left', sa.Integer(), server_default='0', nullable=False),
        sa.Column('updated_at', UTCDateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.CheckConstraint('sends_left >= 0', name=op.f('ck_message_subscriptions_sends_left')),
        sa.ForeignKeyConstraint(['shopper_id'], ['shoppers.id'],
                                name=op.f('fk_message_subscriptions_shopper_id_shoppers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_message_subscriptions')),
        sa.UniqueConstraint('shopper_id', 'template_id',
                            name=op.f('uq_message_subscriptions_shopper_id_template_id')),
    )
    op.create_table(
        'message_outbox',
        sa.Column('id', BigId, nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
        sa.Column('compound_id', BigId, nullable=True),
        sa.Column('arrival_id', BigId, nullable=True),
        sa.Column('shopper_id', BigId, nullable=True),
        sa.Column('template_id', sa.String(length=64), nullable=True),
        sa.Column('data', sa.JSON(), nullable=True),
        sa.Column('page', sa.String(length=200), nullable=True),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('due_at', UTCDateTime(), nullable=False),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.Column('created_at', UTCDateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.CheckConstraint("kind IN ('van_arrived', 'send')", name=op.f('ck_message_outbox_kind')),
        sa.CheckConstraint("status IN ('pending', 'done', 'sent', 'refused', 'failed')",
                           name=op.f('ck_message_outbox_status')),
        sa.ForeignKeyConstraint(['arrival_id'], ['arrivals.id'],
                                name=op.f('fk_message_outbox_arrival_id_arrivals')),
        sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'],
                                name=op.f('fk_message_outbox_compound_id_compounds')),
        sa.ForeignKeyConstraint(['shopper_id'], ['shoppers.id'],
                                name=op.f('fk_message_outbox_shopper_id_shoppers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_message_outbox')),
    )
    op.create_index('ix_message_outbox_status_due_at', 'message_outbox', ['status', 'due_at'], unique=False)


def downgrade():
    op.drop_index('ix_message_outbox_status_due_at', table_name='message_outbox')
    op.drop_table('message_outbox')
    op.drop_table('message_subscriptions')
