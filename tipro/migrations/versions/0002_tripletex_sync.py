"""tripletex connection and sync

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _company_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["company_id"],
        ["companies.id"],
        name=op.f(f"fk_{table}_company_id_companies"),
        ondelete="CASCADE",
    )


def _company_index(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_company_id"), ["company_id"], unique=False)


def upgrade():
    op.create_table(
        "tripletex_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_token_encrypted", sa.Text(), nullable=True),
        sa.Column("session_expires", sa.Date(), nullable=True),
        sa.Column("tripletex_employee_id", sa.BigInteger(), nullable=True),
        sa.Column("user_name", sa.String(length=200), nullable=True),
        sa.Column("user_email", sa.String(length=254), nullable=True),
        sa.Column("missing_access", sa.JSON(), nullable=True),
        sa.Column("webhook_key", sa.String(length=64), nullable=True),
        sa.Column("webhook_secret_hash", sa.String(length=64), nullable=True),
        sa.Column("webhook_subscription_ids", sa.JSON(), nullable=True),
        sa.Column("webhook_status", sa.String(length=20), nullable=False),
        sa.Column("webhook_error", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_request_id", sa.String(length=80), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _company_fk("tripletex_connections"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tripletex_connections")),
        sa.UniqueConstraint("company_id", name=op.f("uq_tripletex_connections_company_id")),
        sa.UniqueConstraint("webhook_key", name=op.f("uq_tripletex_connections_webhook_key")),
    )
    _company_index("tripletex_connections")

    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("current_step", sa.String(length=30), nullable=True),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("deactivated", sa.Integer(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_request_id", sa.String(length=80), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _company_fk("sync_runs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    _company_index("sync_runs")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.create_index("ix_sync_runs_company_status", ["company_id", "status"], unique=False)

    op.create_table(
        "sync_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("data_type", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("deactivated", sa.Integer(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("not_modified", sa.Boolean(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_request_id", sa.String(length=80), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _company_fk("sync_steps"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["sync_runs.id"],
            name=op.f("fk_sync_steps_run_id_sync_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_steps")),
    )
    _company_index("sync_steps")
    with op.batch_alter_table("sync_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_steps_run_id"), ["run_id"], unique=False)

    op.create_table(
        "sync_cursors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data_type", sa.String(length=30), nullable=False),
        sa.Column("version_digest", sa.String(length=200), nullable=True),
        sa.Column("changed_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_full_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _company_fk("sync_cursors"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_cursors")),
        sa.UniqueConstraint(
            "company_id", "data_type", name=op.f("uq_sync_cursors_company_id_data_type")
        ),
    )
    _company_index("sync_cursors")

    op.create_table(
        "sync_pending_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data_type", sa.String(length=30), nullable=False),
        sa.Column("tripletex_id", sa.BigInteger(), nullable=False),
        sa.Column("event", sa.String(length=50), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _company_fk("sync_pending_changes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_pending_changes")),
    )
    _company_index("sync_pending_changes")


def downgrade():
    for table in (
        "sync_pending_changes",
        "sync_cursors",
        "sync_steps",
        "sync_runs",
        "tripletex_connections",
    ):
        op.drop_table(table)
