"""calendar feed health: what the last full read held, and since when a feed fails

Columns on calendar_feed for the administrator's feed health: the last full
read and what it held (meetings, series, bookings, skipped meetings by
reason, times in an unknown zone, as "name=count,..."), and
``failing_since``, from which the admin start page warns after 24 h.

Revision ID: e7a3d9c4b2f1
Revises: c5f2a9e1d3b7
Create Date: 2026-12-08 00:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7a3d9c4b2f1'
down_revision = 'c5f2a9e1d3b7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_read_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failing_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('read_counts', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        for name in ('read_counts', 'failing_since', 'last_read_at'):
            batch_op.drop_column(name)
