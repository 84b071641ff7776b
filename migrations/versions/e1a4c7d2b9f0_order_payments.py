"""orders: WeChat Pay statuses and columns; payments, refunds, notifications, discrepancies

Revision ID: e1a4c7d2b9f0
Revises: 4b7e2a9c1d30
Create Date: 2026-12-06 20:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = 'e1a4c7d2b9f0'
down_revision = '4b7e2a9c1d30'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TIME = app.models.base.UTCDateTime(timezone=True)
NOW = sa.text('(CURRENT_TIMESTAMP)')
OLD_STATUSES = "status IN ('reserved', 'completed', 'cancelled')"
NEW_STATUSES = ("status IN ('reserved', 'pending_payment', 'paid', 'completed', 'cancelled', 'refunding', "
                "'refunded')")


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pay_method', sa.String(length=10), server_default='at_van', nullable=False))
        batch_op.add_column(sa.Column('pay_deadline', TIME, nullable=True))
        batch_op.add_column(sa.Column('paid_at', TIME, nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', TIME, nullable=True))
        batch_op.add_column(sa.Column('refunded_fen', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint(batch_op.f('ck_orders_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_orders_status'), NEW_STATUSES)
        batch_op.create_check_constraint(batch_op.f('ck_orders_pay_method'), "pay_method IN ('at_van', 'wechat')")
        batch_op.create_check_constraint(batch_op.f('ck_orders_refunded_fen'), 'refunded_fen >= 0')
        batch_op.create_index(batch_op.f('ix_orders_pay_deadline'), ['pay_deadline'], unique=False)

    op.create_table('payments',
    sa.Column('id', ID, nullable=False),
    sa.Column('order_id', ID, nullable=False),
    sa.Column('out_trade_no', sa.String(length=32), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('prepay_id', sa.String(length=64), nullable=True),
    sa.Column('transaction_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', TIME, server_default=NOW, nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payments_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('order_id', name=op.f('uq_payments_order_id')),
    sa.UniqueConstraint('out_trade_no', name=op.f('uq_payments_out_trade_no'))
    )
    op.create_table('payment_refunds',
    sa.Column('id', ID, nullable=False),
    sa.Column('order_id', ID, nullable=False),
    sa.Column('out_refund_no', sa.String(length=64), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('requested_by', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('refund_id', sa.String(length=64), nullable=True),
    sa.Column('succeeded_at', TIME, nullable=True),
    sa.Column('created_at', TIME, server_default=NOW, nullable=False),
    sa.CheckConstraint("status IN ('queued', 'processing', 'success', 'closed', 'abnormal')",
                       name=op.f('ck_payment_refunds_status')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payment_refunds_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_refunds')),
    sa.UniqueConstraint('order_id', name=op.f('uq_payment_refunds_order_id')),
    sa.UniqueConstraint('out_refund_no', name=op.f('uq_payment_refunds_out_refund_no'))
    )
    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_refunds_succeeded_at'), ['succeeded_at'], unique=False)
    op.create_table('payment_notifications',
    sa.Column('id', ID, nullable=False),
    sa.Column('notification_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('received_at', TIME, server_default=NOW, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_notifications')),
    sa.UniqueConstraint('notification_id', name=op.f('uq_payment_notifications_notification_id'))
    )
    op.create_table('payment_discrepancies',
    sa.Column('id', ID, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('out_trade_no', sa.String(length=32), nullable=True),
    sa.Column('order_id', ID, nullable=True),
    sa.Column('amount_fen', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', TIME, server_default=NOW, nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payment_discrepancies_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_discrepancies'))
    )
    with op.batch_alter_table('payment_discrepancies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_discrepancies_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_discrepancies_order_id'), ['order_id'], unique=False)


def downgrade():
    op.drop_table('payment_discrepancies')
    op.drop_table('payment_notifications')
    op.drop_table('payment_refunds')
    op.drop_table('payments')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_pay_deadline'))
        batch_op.drop_constraint(batch_op.f('ck_orders_refunded_fen'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_orders_pay_method'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_orders_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_orders_status'), OLD_STATUSES)
        batch_op.drop_column('refunded_fen')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('paid_at')
        batch_op.drop_column('pay_deadline')
        batch_op.drop_column('pay_method')
