"""a visit's console can be disconnected; a knock at the door reaches it

console_code.disconnected_at: the door (or a newer code) ended this binding,
so its browser is told it was disconnected. room_session.knock_at: someone
waits at the door; the console shows it until the clinician clears it.

Revision ID: d7e3a1c9b5f4
Revises: d7a3c1e9b5f4
Create Date: 2026-12-08 01:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7e3a1c9b5f4'
down_revision = 'd7a3c1e9b5f4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('console_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disconnected_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('room_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('knock_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('room_session', schema=None) as batch_op:
        batch_op.drop_column('knock_at')
    with op.batch_alter_table('console_code', schema=None) as batch_op:
        batch_op.drop_column('disconnected_at')
