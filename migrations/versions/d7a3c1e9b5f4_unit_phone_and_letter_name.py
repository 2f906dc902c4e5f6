"""a unit's phone number and the name on its patients' letters

Two text columns on unit, empty by default: what the patient's letter printed
from a booking fills in.

Revision ID: d7a3c1e9b5f4
Revises: e7a3d9c4b2f1
Create Date: 2026-12-08 01:25:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7a3c1e9b5f4'
down_revision = 'e7a3d9c4b2f1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('letter_name', sa.String(length=120), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('letter_name')
        batch_op.drop_column('phone')
