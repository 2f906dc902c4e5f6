"""console codes: a browser becomes a room session's console

A short one-time code shown on the door binds a browser to one room session.
Permanently paired consoles are tablets of kind "console" and need no new
column.

Revision ID: b4e8c2d1f9a6
Revises: b4e1c9d2a7f3
Create Date: 2026-12-01 11:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4e8c2d1f9a6'
down_revision = 'b4e1c9d2a7f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('console_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_console_code_room_id_room')),
    sa.ForeignKeyConstraint(['session_id'], ['room_session.id'], name=op.f('fk_console_code_session_id_room_session'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_code')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_console_code_token_hash'))
    )
    with op.batch_alter_table('console_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_code_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_console_code_room_id'), ['room_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_console_code_session_id'), ['session_id'], unique=False)


def downgrade():
    with op.batch_alter_table('console_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_code_session_id'))
        batch_op.drop_index(batch_op.f('ix_console_code_room_id'))
        batch_op.drop_index(batch_op.f('ix_console_code_code'))
    op.drop_table('console_code')
