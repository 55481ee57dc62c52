"""approval: periods (week or month) with lines, customer sign-off, reminders; settings

Revision ID: 0008
Revises: 0007_master_data_version

Submitted weeks move from week_submissions into periods (kind "week"), keeping their state.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007_master_data_version"
branch_labels = None
depends_on = None


def _fk(table, column, target, ondelete=None):
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade():
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("approval_period", sa.String(10), server_default="week", nullable=False)
        )
        batch_op.add_column(sa.Column("reminder_weekday", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("reminder_hour", sa.Integer(), server_default="8", nullable=False)
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approver_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_users_approver_id_users"),
            "users",
            ["approver_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("customer_signoff", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("customer_signoff_email", sa.String(254), nullable=True))

    op.create_table(
        "periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("total_hours", sa.Numeric(7, 2), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("preflight", sa.JSON(), nullable=False),
        sa.Column("preflight_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=False),
        sa.Column("overridden_by_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _fk("periods", "company_id", "companies", "CASCADE"),
        _fk("periods", "user_id", "users"),
        _fk("periods", "submitted_by_id", "users", "SET NULL"),
        _fk("periods", "decided_by_id", "users", "SET NULL"),
        _fk("periods", "overridden_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_periods")),
        sa.UniqueConstraint("company_id", "user_id", "kind", "first_day", name="uq_periods_user"),
    )
    with op.batch_alter_table("periods", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_periods_company_id"), ["company_id"], unique=False)
        batch_op.create_index("ix_periods_company_state", ["company_id", "state"], unique=False)
        batch_op.create_index(
            "ix_periods_user_days", ["user_id", "first_day", "last_day"], unique=False
        )

    op.create_table(
        "period_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("approver_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("hours", sa.Numeric(7, 2), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _fk("period_lines", "company_id", "companies", "CASCADE"),
        _fk("period_lines", "period_id", "periods", "CASCADE"),
        _fk("period_lines", "project_id", "projects", "SET NULL"),
        _fk("period_lines", "approver_id", "users", "SET NULL"),
        _fk("period_lines", "decided_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_lines")),
    )
    with op.batch_alter_table("period_lines", schema=None) as batch_op:
        for column in ("company_id", "period_id", "approver_id"):
            batch_op.create_index(batch_op.f(f"ix_period_lines_{column}"), [column], unique=False)

    op.create_table(
        "customer_signoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(20), nullable=True),
        sa.Column("signer_name", sa.String(200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signer_address", sa.String(64), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _fk("customer_signoffs", "company_id", "companies", "CASCADE"),
        _fk("customer_signoffs", "line_id", "period_lines", "CASCADE"),
        _fk("customer_signoffs", "sent_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_signoffs")),
        sa.UniqueConstraint("nonce", name=op.f("uq_customer_signoffs_nonce")),
    )
    with op.batch_alter_table("customer_signoffs", schema=None) as batch_op:
        for column in ("company_id", "line_id"):
            batch_op.create_index(
                batch_op.f(f"ix_customer_signoffs_{column}"), [column], unique=False
            )

    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("period_key", sa.String(10), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _fk("reminders_sent", "company_id", "companies", "CASCADE"),
        _fk("reminders_sent", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders_sent")),
        sa.UniqueConstraint(
            "company_id", "user_id", "kind", "period_key", name="uq_reminders_once"
        ),
    )
    with op.batch_alter_table("reminders_sent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminders_sent_company_id"), ["company_id"])

    _move_week_submissions()
    op.drop_table("week_submissions")


def _move_week_submissions():
    conn = op.get_bind()
    weeks = sa.table(
        "week_submissions",
        *(
            sa.column(name)
            for name in (
                "company_id user_id iso_year iso_week state submitted_at submitted_by_id "
                "decided_by_id decided_at decision_comment"
            ).split()
        ),
    )
    periods = sa.table(
        "periods",
        *(
            sa.column(name)
            for name in (
                "company_id user_id kind first_day last_day state submitted_at submitted_by_id "
                "total_hours decided_by_id decided_at comment preflight override_reason"
            ).split()
        ),
    )
    rows = []
    for row in conn.execute(sa.select(weeks)).mappings():
        monday = date.fromisocalendar(row["iso_year"], row["iso_week"], 1)
        state = row["state"] if row["state"] in ("submitted", "approved") else "returned"
        rows.append(
            {
                "company_id": row["company_id"],
                "user_id": row["user_id"],
                "kind": "week",
                "first_day": monday,
                "last_day": monday + timedelta(days=6),
                "state": "approved" if row["state"] == "transferred" else state,
                "submitted_at": row["submitted_at"],
                "submitted_by_id": row["submitted_by_id"],
                "total_hours": 0,
                "decided_by_id": row["decided_by_id"],
                "decided_at": row["decided_at"],
                "comment": row["decision_comment"] or "",
                "preflight": [],
                "override_reason": "",
            }
        )
    if rows:
        conn.execute(periods.insert(), rows)


def downgrade():
    raise NotImplementedError("Periods cannot be folded back into week submissions.")
