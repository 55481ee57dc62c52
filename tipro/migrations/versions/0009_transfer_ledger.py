"""transfer ledger: batches, items, the entries they cover, request log; company settings

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
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
            sa.Column("payroll_mode", sa.String(20), server_default="timesheet", nullable=False)
        )
        batch_op.add_column(
            sa.Column("transfer_approves_month", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("order_grouping", sa.String(20), server_default="project", nullable=False)
        )

    op.create_table(
        "transfer_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("mode", sa.String(30), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("job_id", sa.String(120), nullable=True),
        sa.Column("total_items", sa.Integer(), nullable=False),
        sa.Column("confirmed_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("needs_check_count", sa.Integer(), nullable=False),
        sa.Column("unchanged_count", sa.Integer(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _fk("transfer_batches", "company_id", "companies", "CASCADE"),
        _fk("transfer_batches", "created_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_batches")),
    )
    with op.batch_alter_table("transfer_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfer_batches_company_id"), ["company_id"])
        batch_op.create_index(
            "ix_transfer_batches_company_kind_state", ["company_id", "kind", "state"]
        )

    op.create_table(
        "transfer_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("item_kind", sa.String(30), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("operation", sa.String(10), nullable=False),
        sa.Column("change", sa.String(12), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("tripletex_employee_id", sa.BigInteger(), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("quantity", sa.Numeric(12, 2), nullable=True),
        sa.Column("amount", sa.Numeric(14, 2), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("tripletex_id", sa.BigInteger(), nullable=True),
        sa.Column("tripletex_version", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error_status", sa.Integer(), nullable=True),
        sa.Column("error_code", sa.String(40), nullable=True),
        sa.Column("error_field", sa.String(200), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_request_id", sa.String(80), nullable=True),
        sa.Column("hint", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _fk("transfer_items", "company_id", "companies", "CASCADE"),
        _fk("transfer_items", "batch_id", "transfer_batches", "CASCADE"),
        _fk("transfer_items", "user_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_items")),
    )
    with op.batch_alter_table("transfer_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfer_items_company_id"), ["company_id"])
        batch_op.create_index("ix_transfer_items_batch_state", ["batch_id", "state"])
        batch_op.create_index("ix_transfer_items_company_key", ["company_id", "item_kind", "key"])

    op.create_table(
        "transfer_item_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("hours", sa.Numeric(12, 2), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _fk("transfer_item_entries", "company_id", "companies", "CASCADE"),
        _fk("transfer_item_entries", "item_id", "transfer_items", "CASCADE"),
        _fk("transfer_item_entries", "entry_id", "time_entries", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_item_entries")),
    )
    with op.batch_alter_table("transfer_item_entries", schema=None) as batch_op:
        for column in ("company_id", "item_id", "entry_id"):
            batch_op.create_index(batch_op.f(f"ix_transfer_item_entries_{column}"), [column])

    op.create_table(
        "transfer_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.String(80), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.Column("request", sa.JSON(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _fk("transfer_logs", "company_id", "companies", "CASCADE"),
        _fk("transfer_logs", "item_id", "transfer_items", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_logs")),
    )
    with op.batch_alter_table("transfer_logs", schema=None) as batch_op:
        for column in ("company_id", "item_id"):
            batch_op.create_index(batch_op.f(f"ix_transfer_logs_{column}"), [column])


def downgrade():
    op.drop_table("transfer_logs")
    op.drop_table("transfer_item_entries")
    op.drop_table("transfer_items")
    op.drop_table("transfer_batches")
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_column("order_grouping")
        batch_op.drop_column("transfer_approves_month")
        batch_op.drop_column("payroll_mode")
