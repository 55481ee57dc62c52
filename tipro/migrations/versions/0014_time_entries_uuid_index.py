"""time entries found by uuid alone: the writer's probe and the offline sync's owner check

Revision ID: 0014
Revises: 0013

Both look a uuid up across companies (it is unique per company only), which the
(company_id, uuid) constraint cannot serve: without this index each save scanned the table.
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_time_entries_uuid", "time_entries", ["uuid"])


def downgrade():
    op.drop_index("ix_time_entries_uuid", table_name="time_entries")
