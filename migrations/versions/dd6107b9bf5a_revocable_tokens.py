"""staff and couriers: disabled, token_version (revocable tokens)

Revision ID: dd6107b9bf5a
Revises: 94cae60aa662
Create Date: 2026-12-06 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'dd6107b9bf5a'
down_revision = '94cae60aa662'
branch_labels = None
depends_on = None

TABLES = ('staff', 'couriers')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('disabled', sa.Boolean(), server_default=sa.false(),
                                          nullable=False))
            batch_op.add_column(sa.Column('token_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('token_version')
            batch_op.drop_column('disabled')
