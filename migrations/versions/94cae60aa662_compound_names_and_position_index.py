"""compound_names (normalised names and aliases, for searches in SQL), a lat/lng index, orders by pickup code

Revision ID: 94cae60aa662
Revises: c0059ff406bd
Create Date: 2026-12-06 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '94cae60aa662'
down_revision = 'c0059ff406bd'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def search_key(text):
    """As app.services.places.compounds.search_key: no blanks, lowercase (copied: migrations
    do not import the app, whose code moves on)."""
    return "".join(text.split()).lower()


def upgrade():
    names = op.create_table(
        'compound_names',
        sa.Column('id', BigId, nullable=False),
        sa.Column('compound_id', BigId, nullable=False),
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('head', sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_compound_names_compound_id_compounds'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_compound_names')),
    )
    op.create_index(op.f('ix_compound_names_compound_id'), 'compound_names', ['compound_id'], unique=False)
    op.create_index(op.f('ix_compound_names_head'), 'compound_names', ['head'], unique=False)
    op.create_index('ix_compounds_lat_lng', 'compounds', ['lat', 'lng'], unique=False)
    op.create_index(op.f('ix_orders_pickup_code'), 'orders', ['pickup_code'], unique=False)
    compounds = sa.table('compounds', sa.column('id', BigId), sa.column('name', sa.String), sa.column('aliases', sa.JSON))
    rows = []
    for compound_id, name, aliases in op.get_bind().execute(sa.select(compounds)):
        keys = dict.fromkeys(k for k in map(search_key, [name, *(aliases or [])]) if k)
        rows += [{'compound_id': compound_id, 'key': key, 'head': key[:2]} for key in keys]
    if rows:
        op.bulk_insert(names, rows)


def downgrade():
    op.drop_index(op.f('ix_orders_pickup_code'), table_name='orders')
    op.drop_index('ix_compounds_lat_lng', table_name='compounds')
    op.drop_index(op.f('ix_compound_names_head'), table_name='compound_names')
    op.drop_index(op.f('ix_compound_names_compound_id'), table_name='compound_names')
    op.drop_table('compound_names')
