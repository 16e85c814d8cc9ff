"""Replacing an index in a migration while the old web processes still serve.

On PostgreSQL the new index is built CONCURRENTLY, outside the migration's
transaction: the release step runs beside the running processes, and a plain
CREATE INDEX would hold up every write to the table until the build was done.
A build that was interrupted leaves its index behind (perhaps invalid), so a
run drops it first and builds it again. SQLite builds it in the migration.
"""

from __future__ import annotations

from alembic import op


def swap_index(table: str, new: tuple[str, list[str]], old: str) -> None:
    """Create index `new` (name, columns) on `table`, then drop index `old`."""
    name, columns = new
    if op.get_context().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.drop_index(name, table, postgresql_concurrently=True, if_exists=True)
            op.create_index(name, table, columns, postgresql_concurrently=True)
            op.drop_index(old, table, postgresql_concurrently=True, if_exists=True)
        return
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(name, columns, unique=False)
        batch_op.drop_index(old)
