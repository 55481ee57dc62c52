"""companies.master_data_version: raised with every write of the pickers' master data

Revision ID: 0007_master_data_version
Revises: 0006

The per-company cache of projects, activities, supplement/absence types, custom fields and
products (tipro.entries.master) is keyed by this number, so every web and worker process
sees a change by the next request.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_master_data_version"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("master_data_version", sa.Integer(), server_default="1", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_column("master_data_version")
