"""bookings and calendar feeds

A room can be booked (start, end, the clinician who holds it; never a patient)
by hand or from its published calendar feed. ``room.bookings_due_at`` lets a
door poll see, without reading any booking, that the room's day changes now.

Revision ID: b4e1c9d2a7f3
Revises: 7c1d2e3f4a5b
Create Date: 2026-12-01 11:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4e1c9d2a7f3'
down_revision = '7c1d2e3f4a5b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bookings_due_at', sa.DateTime(), nullable=True))

    op.create_table(
        'calendar_feed',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('room_id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
        sa.Column('last_success_at', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=40), nullable=True),
        sa.Column('etag', sa.String(length=200), nullable=True),
        sa.Column('last_modified', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_calendar_feed_room_id_room')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feed')),
        sa.UniqueConstraint('room_id', name=op.f('uq_calendar_feed_room_id')),
    )
    op.create_table(
        'booking',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('room_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('holder_name', sa.String(length=80), nullable=True),
        sa.Column('holder_title', sa.String(length=80), nullable=True),
        sa.Column('source', sa.String(length=8), server_default='manual', nullable=False),
        sa.Column('feed_id', sa.Integer(), nullable=True),
        sa.Column('feed_uid', sa.String(length=64), nullable=True),
        sa.Column('recurrence_id', sa.String(length=40), nullable=True),
        sa.Column('status', sa.String(length=10), server_default='booked', nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=120), server_default='', nullable=False),
        sa.Column('updated_by', sa.String(length=120), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['feed_id'], ['calendar_feed.id'], name=op.f('fk_booking_feed_id_calendar_feed'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_booking_room_id_room')),
        sa.ForeignKeyConstraint(['session_id'], ['room_session.id'], name=op.f('fk_booking_session_id_room_session')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_booking')),
        sa.UniqueConstraint('feed_id', 'feed_uid', 'recurrence_id', name='uq_booking_feed_instance'),
    )
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_index('ix_booking_room_starts', ['room_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_room_id'), ['room_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_feed_id'), ['feed_id'], unique=False)


def downgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_feed_id'))
        batch_op.drop_index(batch_op.f('ix_booking_room_id'))
        batch_op.drop_index('ix_booking_room_starts')
    op.drop_table('booking')
    op.drop_table('calendar_feed')
    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.drop_column('bookings_due_at')
