"""lønnsbilag: the company's salary type for ordinary hours («Lønnsart for timer»)

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hours_salary_type_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_companies_hours_salary_type_id_salary_types"),
            "salary_types",
            ["hours_salary_type_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_companies_hours_salary_type_id_salary_types"), type_="foreignkey"
        )
        batch_op.drop_column("hours_salary_type_id")
