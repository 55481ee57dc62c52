"""supplements, absence types and custom fields on time entries

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "absence_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("salary_type_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_absence_types_activity_id_activities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_absence_types_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["salary_type_id"],
            ["salary_types.id"],
            name=op.f("fk_absence_types_salary_type_id_salary_types"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absence_types")),
        sa.UniqueConstraint("company_id", "name", name="uq_absence_types_name"),
    )
    with op.batch_alter_table("absence_types", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_absence_types_company_id"), ["company_id"], unique=False
        )

    op.create_table(
        "supplement_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("per", sa.String(length=10), nullable=False),
        sa.Column("salary_type_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("billable", sa.Boolean(), nullable=False),
        sa.Column("asks_for_product", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_supplement_types_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_supplement_types_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["salary_type_id"],
            ["salary_types.id"],
            name=op.f("fk_supplement_types_salary_type_id_salary_types"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplement_types")),
        sa.UniqueConstraint("company_id", "name", name="uq_supplement_types_name"),
    )
    with op.batch_alter_table("supplement_types", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supplement_types_company_id"), ["company_id"], unique=False
        )

    op.create_table(
        "custom_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("field_type", sa.String(length=10), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("include_in_transfer", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_custom_fields_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_custom_fields_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_fields")),
        sa.UniqueConstraint("company_id", "key", name="uq_custom_fields_key"),
    )
    with op.batch_alter_table("custom_fields", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_custom_fields_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_custom_fields_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "custom_field_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_custom_field_values_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["time_entries.id"],
            name=op.f("fk_custom_field_values_entry_id_time_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["custom_fields.id"],
            name=op.f("fk_custom_field_values_field_id_custom_fields"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_field_values")),
        sa.UniqueConstraint("entry_id", "field_id", name="uq_custom_field_values_entry_field"),
    )
    with op.batch_alter_table("custom_field_values", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_custom_field_values_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_custom_field_values_entry_id"), ["entry_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_custom_field_values_field_id"), ["field_id"], unique=False
        )

    op.create_table(
        "entry_absences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("absence_type_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["absence_type_id"],
            ["absence_types.id"],
            name=op.f("fk_entry_absences_absence_type_id_absence_types"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_entry_absences_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["time_entries.id"],
            name=op.f("fk_entry_absences_entry_id_time_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entry_absences")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_entry_absences_entry_id")),
    )
    with op.batch_alter_table("entry_absences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_entry_absences_absence_type_id"), ["absence_type_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_entry_absences_company_id"), ["company_id"], unique=False
        )

    op.create_table(
        "entry_supplements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("supplement_type_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.String(length=500), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_entry_supplements_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["time_entries.id"],
            name=op.f("fk_entry_supplements_entry_id_time_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_entry_supplements_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["supplement_type_id"],
            ["supplement_types.id"],
            name=op.f("fk_entry_supplements_supplement_type_id_supplement_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entry_supplements")),
    )
    with op.batch_alter_table("entry_supplements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_entry_supplements_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_entry_supplements_entry_id"), ["entry_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_entry_supplements_supplement_type_id"),
            ["supplement_type_id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("entry_supplements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entry_supplements_supplement_type_id"))
        batch_op.drop_index(batch_op.f("ix_entry_supplements_entry_id"))
        batch_op.drop_index(batch_op.f("ix_entry_supplements_company_id"))

    op.drop_table("entry_supplements")
    with op.batch_alter_table("entry_absences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entry_absences_company_id"))
        batch_op.drop_index(batch_op.f("ix_entry_absences_absence_type_id"))

    op.drop_table("entry_absences")
    with op.batch_alter_table("custom_field_values", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custom_field_values_field_id"))
        batch_op.drop_index(batch_op.f("ix_custom_field_values_entry_id"))
        batch_op.drop_index(batch_op.f("ix_custom_field_values_company_id"))

    op.drop_table("custom_field_values")
    with op.batch_alter_table("custom_fields", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custom_fields_project_id"))
        batch_op.drop_index(batch_op.f("ix_custom_fields_company_id"))

    op.drop_table("custom_fields")
    with op.batch_alter_table("supplement_types", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplement_types_company_id"))

    op.drop_table("supplement_types")
    with op.batch_alter_table("absence_types", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_absence_types_company_id"))

    op.drop_table("absence_types")
