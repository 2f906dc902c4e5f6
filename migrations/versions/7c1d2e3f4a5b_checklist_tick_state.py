"""checklist tick state: done or does not apply

A checklist item that holds only in some meetings (a child, a proxy) can be
marked "does not apply" instead of ticked. Existing rows were all ticks.

Revision ID: 7c1d2e3f4a5b
Revises: 29ec2a5fd09b
Create Date: 2026-11-26 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1d2e3f4a5b'
down_revision = '29ec2a5fd09b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('checklist_tick', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=4), server_default='done', nullable=False))


def downgrade():
    with op.batch_alter_table('checklist_tick', schema=None) as batch_op:
        batch_op.drop_column('state')
