"""verifiable draws: each shake round keeps the secret seed its shakes' numbers come from, and its commitment

Revision ID: f3d8b6a2c914
Revises: 7c3f9e2a5b14
Create Date: 2026-12-10 10:00:00

Rounds still open get a seed now (their shakes from here on draw from it); closed rounds keep
none: they were drawn before draws were verifiable, and their draws are not published.
"""
import hashlib
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3d8b6a2c914'
down_revision = '7c3f9e2a5b14'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shake_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seed', sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column('seed_sha256', sa.String(length=64), nullable=True))
    rounds = sa.table('shake_rounds', sa.column('id', sa.Integer), sa.column('closed_at'),
                      sa.column('seed', sa.LargeBinary), sa.column('seed_sha256', sa.String))
    connection = op.get_bind()
    open_ids = connection.execute(sa.select(rounds.c.id).where(rounds.c.closed_at.is_(None))).scalars().all()
    for round_id in open_ids:
        seed = secrets.token_bytes(32)
        connection.execute(rounds.update().where(rounds.c.id == round_id)
                           .values(seed=seed, seed_sha256=hashlib.sha256(seed).hexdigest()))


def downgrade():
    with op.batch_alter_table('shake_rounds', schema=None) as batch_op:
        batch_op.drop_column('seed_sha256')
        batch_op.drop_column('seed')
