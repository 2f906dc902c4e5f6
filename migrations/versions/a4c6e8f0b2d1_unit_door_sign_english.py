"""a unit may turn off the door sign's English line

unit.door_sign_english: the door sign shows its English line under the
Swedish (true, as before) or only the Swedish (false).

Revision ID: a4c6e8f0b2d1
Revises: d7e3a1c9b5f4
Create Date: 2026-12-08 03:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c6e8f0b2d1'
down_revision = 'd7e3a1c9b5f4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('door_sign_english', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('door_sign_english')
