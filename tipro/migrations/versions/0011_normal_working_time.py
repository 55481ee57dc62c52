"""normal working time: employment percentage on employees, company closure days

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.add_column(sa.Column("employment_percentage", sa.Numeric(5, 2), nullable=True))
        batch_op.add_column(sa.Column("employment_details", sa.JSON(), nullable=True))

    op.create_table(
        "closure_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_closure_days_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closure_days")),
        sa.UniqueConstraint("company_id", "date", name="uq_closure_days_company_date"),
    )
    with op.batch_alter_table("closure_days", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closure_days_company_id"), ["company_id"])


def downgrade():
    with op.batch_alter_table("closure_days", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closure_days_company_id"))
    op.drop_table("closure_days")
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.drop_column("employment_details")
        batch_op.drop_column("employment_percentage")
