"""supplement and absence type names unique by a Unicode case-folded key

Revision ID: 0006
Revises: 0005

SQLite's lower() folds ASCII only (and PostgreSQL's depends on the collation), so «Sykt barn Å»
and «Sykt barn å» both passed the old check; the key is computed in Python (casefold) instead.
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("supplement_types", "absence_types")


def _key(name: str) -> str:
    # The same rule as tipro.models.extras.name_key, frozen here as of this revision.
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    return " ".join(folded.split())[:400]


def upgrade():
    conn = op.get_bind()
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("name_key", sa.String(length=400), server_default="", nullable=False)
            )
        keyed = sa.table(table, sa.column("id", sa.Integer), sa.column("name_key", sa.String))
        seen: dict[tuple, int] = {}
        for row_id, company_id, name in conn.execute(
            sa.text(f"SELECT id, company_id, name FROM {table} ORDER BY id")  # noqa: S608
        ):
            key = _key(name)
            if (company_id, key) in seen:
                # Names that only differed in non-ASCII case: keep both, marked apart.
                key = f"{key} #{row_id}"[:400]
            seen[(company_id, key)] = row_id
            conn.execute(sa.update(keyed).where(keyed.c.id == row_id).values(name_key=key))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("name_key", server_default=None)
            batch_op.drop_constraint(f"uq_{table}_name", type_="unique")
            batch_op.create_unique_constraint(f"uq_{table}_name_key", ["company_id", "name_key"])


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_name_key", type_="unique")
            batch_op.create_unique_constraint(f"uq_{table}_name", ["company_id", "name"])
            batch_op.drop_column("name_key")
