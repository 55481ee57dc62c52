"""change requests: offline hours for a period handed in or approved meanwhile

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
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
    op.create_table(
        "change_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("entry_uuid", sa.String(36), nullable=False),
        sa.Column("proposed", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("approver_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _fk("change_requests", "company_id", "companies", "CASCADE"),
        _fk("change_requests", "user_id", "users", "CASCADE"),
        _fk("change_requests", "period_id", "periods", "SET NULL"),
        _fk("change_requests", "approver_id", "users", "SET NULL"),
        _fk("change_requests", "decided_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_requests")),
    )
    with op.batch_alter_table("change_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_requests_company_id"), ["company_id"])
        batch_op.create_index(batch_op.f("ix_change_requests_approver_id"), ["approver_id"])
        batch_op.create_index("ix_change_requests_company_state", ["company_id", "state"])
        batch_op.create_index("ix_change_requests_user_uuid", ["user_id", "entry_uuid"])


def downgrade():
    op.drop_table("change_requests")
