"""opening hours per unit: the door's night screen

One short text column on unit, Monday first ("07:30-17:00;...;;", see
kiosk/hours.py). NULL means no hours: always open, as before.

Revision ID: c5f2a9e1d3b7
Revises: c9f15a0e7d21
Create Date: 2026-12-01 14:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5f2a9e1d3b7'
down_revision = 'c9f15a0e7d21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opening_hours', sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('opening_hours')
