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
    with op.batch_alter_table("chatmemory") as batch:  # the last command, for follow-ups
        batch.add_column(sa.Column("command", sa.String(), nullable=True))
        batch.add_column(sa.Column("options", sa.JSON(), nullable=True))
    op.create_table(
        "answerfeedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("user_key", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("command", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=True),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_answerfeedback_at", "answerfeedback", ["at"], unique=False)
    op.create_index("ix_answerfeedback_account_id", "answerfeedback", ["account_id"], unique=False)
    # --- closed loop (issue 11) ---
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("churned_on", sa.Date(), nullable=True))
    with op.batch_alter_table("opportunity") as batch:
        batch.add_column(sa.Column("seats_to_add", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("closed_reason", sa.String(), server_default="", nullable=False))
        batch.add_column(sa.Column("follow_up_on", sa.Date(), nullable=True))
    op.create_table(
        "arrchange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("arr_before", sa.Float(), nullable=False),
        sa.Column("arr_after", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_arrchange_account_id", "arrchange", ["account_id"], unique=False)
    # --- business case (issue 12) ---
    with op.batch_alter_table("team") as batch:  # whose public holidays skip the digest
        batch.add_column(sa.Column("country", sa.String(), nullable=True))
    with op.batch_alter_table("usage") as batch:  # the customer's own sales: the growth signal
        batch.add_column(sa.Column("revenue", sa.Float(), nullable=True))
    with op.batch_alter_table("usagesummary") as batch:
        for prefix in ("l_", "p_", "b_"):
            batch.add_column(sa.Column(prefix + "revenue", sa.Float(), nullable=True))
    # --- native drafts (issue 13) ---
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("salutation", sa.String(), nullable=True))
        batch.add_column(sa.Column("gender", sa.String(), nullable=True))
    with op.batch_alter_table("csm") as batch:
        batch.add_column(sa.Column("gender", sa.String(), nullable=True))
    # --- structure (issue 14) ---
    pass


def downgrade() -> None:
    # --- structure (issue 14) ---
    # --- native drafts (issue 13) ---
    with op.batch_alter_table("csm") as batch:
        batch.drop_column("gender")
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("gender")
        batch.drop_column("salutation")
    # --- business case (issue 12) ---
    with op.batch_alter_table("usagesummary") as batch:
        for prefix in ("l_", "p_", "b_"):
            batch.drop_column(prefix + "revenue")
    with op.batch_alter_table("usage") as batch:
        batch.drop_column("revenue")
    with op.batch_alter_table("team") as batch:
        batch.drop_column("country")
    # --- closed loop (issue 11) ---
    op.drop_index("ix_arrchange_account_id", table_name="arrchange")
    op.drop_table("arrchange")
    with op.batch_alter_table("opportunity") as batch:
        batch.drop_column("follow_up_on")
        batch.drop_column("closed_reason")
        batch.drop_column("seats_to_add")
    with op.batch_alter_table("account") as batch:
        batch.drop_column("churned_on")
    # --- conversation (issue 10) ---
    op.drop_index("ix_answerfeedback_account_id", table_name="answerfeedback")
    op.drop_index("ix_answerfeedback_at", table_name="answerfeedback")
    op.drop_table("answerfeedback")
    with op.batch_alter_table("chatmemory") as batch:
        batch.drop_column("options")
        batch.drop_column("command")
    # --- red team (issue 15) ---
    with op.batch_alter_table("inboundmessage") as batch:
        batch.drop_index("ix_inboundmessage_status")
        for column in ("attempts", "lease_until", "claimed_by", "status", "body", "sender", "channel"):
            batch.drop_column(column)
    with op.batch_alter_table("csm") as batch:
        batch.drop_column("role")
    pass
