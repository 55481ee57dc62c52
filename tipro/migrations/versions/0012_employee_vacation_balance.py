"""employee vacation balance from Tripletex (for «Min oversikt»)

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vacation_balance", sa.Numeric(7, 2), nullable=True))
        batch_op.add_column(sa.Column("vacation_read_on", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.drop_column("vacation_read_on")
        batch_op.drop_column("vacation_balance")
