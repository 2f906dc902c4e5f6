"""room health: faults reported from a room, device checks per room

Revision ID: c9f15a0e7d21
Revises: b4e8c2d1f9a6
Create Date: 2026-12-01 14:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c9f15a0e7d21'
down_revision = 'b4e8c2d1f9a6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('room_fault',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('text', sa.String(length=140), nullable=True),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('reported_at', sa.DateTime(), nullable=False),
    sa.Column('reported_by', sa.String(length=120), server_default='', nullable=False),
    sa.Column('fixed_at', sa.DateTime(), nullable=True),
    sa.Column('fixed_by', sa.String(length=120), nullable=True),
    sa.Column('fix_note', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_room_fault_room_id_room')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_fault'))
    )
    with op.batch_alter_table('room_fault', schema=None) as batch_op:
        batch_op.create_index('ix_room_fault_room_fixed', ['room_id', 'fixed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_room_fault_room_id'), ['room_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_room_fault_reported_at'), ['reported_at'], unique=False)

    op.create_table('device_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('camera', sa.String(length=8), nullable=False),
    sa.Column('microphone', sa.String(length=8), nullable=False),
    sa.Column('sound', sa.String(length=8), nullable=False),
    sa.Column('ok', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('actor', sa.String(length=120), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_device_check_room_id_room')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_check'))
    )
    with op.batch_alter_table('device_check', schema=None) as batch_op:
        batch_op.create_index('ix_device_check_room_at', ['room_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_check_room_id'), ['room_id'], unique=False)


def downgrade():
    with op.batch_alter_table('device_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_check_room_id'))
        batch_op.drop_index('ix_device_check_room_at')
    op.drop_table('device_check')
    with op.batch_alter_table('room_fault', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_room_fault_reported_at'))
        batch_op.drop_index(batch_op.f('ix_room_fault_room_id'))
        batch_op.drop_index('ix_room_fault_room_fixed')
    op.drop_table('room_fault')
