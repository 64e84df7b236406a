"""second round: conversation, closed loop, business case, native drafts, red-team fixes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 16:45:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # --- red team (issue 15) ---
    with op.batch_alter_table("csm") as batch:
        batch.add_column(sa.Column("role", sa.String(), nullable=True))
    with op.batch_alter_table("inboundmessage") as batch:  # recorded before the ack, resumed after a crash
        batch.add_column(sa.Column("channel", sa.String(), server_default="whatsapp", nullable=False))
        batch.add_column(sa.Column("sender", sa.String(), server_default="", nullable=False))
        batch.add_column(sa.Column("body", sa.String(), server_default="", nullable=False))
        batch.add_column(sa.Column("status", sa.String(), server_default="done", nullable=False))
        batch.add_column(sa.Column("claimed_by", sa.String(), server_default="", nullable=False))
        batch.add_column(sa.Column("lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch.create_index("ix_inboundmessage_status", ["status"], unique=False)
    # --- conversation (issue 10) ---
    # --- closed loop (issue 11) ---
    # --- business case (issue 12) ---
    # --- native drafts (issue 13) ---
    # --- structure (issue 14) ---
    pass


def downgrade() -> None:
    # --- structure (issue 14) ---
    # --- native drafts (issue 13) ---
    # --- business case (issue 12) ---
    # --- closed loop (issue 11) ---
    # --- conversation (issue 10) ---
    # --- red team (issue 15) ---
    with op.batch_alter_table("csm") as batch:
        batch.drop_column("role")
    pass
    with op.batch_alter_table("inboundmessage") as batch:
        batch.drop_index("ix_inboundmessage_status")
        for column in ("attempts", "lease_until", "claimed_by", "status", "body", "sender", "channel"):
            batch.drop_column(column)
