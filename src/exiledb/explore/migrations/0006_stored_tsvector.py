"""PostgreSQL: keep each row's tsvector in a stored generated column, and index that.

The expression index made PostgreSQL parse a row's text again whenever it checked the row: for
every match of a lossy bitmap, and for every row when a search is narrowed to the rows other
filters keep (exiledb.explore.fulltext.ids). The stored column is computed once, when the row
is written. SQLite's FTS5 table is unchanged.

The column depends on explore_entry.text: a later migration that alters that column must drop
the column (and its index) first and add them back after.
"""

from django.db import migrations

COLUMN = (
    "ALTER TABLE explore_entry ADD COLUMN search tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, text)) STORED"
)
INDEX = "CREATE INDEX explore_entry_fulltext ON explore_entry USING gin (search)"
OLD_INDEX = (
    "CREATE INDEX explore_entry_fulltext ON explore_entry "
    "USING gin (to_tsvector('simple'::regconfig, text))"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS explore_entry_fulltext")
    schema_editor.execute(COLUMN)
    schema_editor.execute(INDEX)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS explore_entry_fulltext")
    schema_editor.execute("ALTER TABLE explore_entry DROP COLUMN IF EXISTS search")
    schema_editor.execute(OLD_INDEX)


class Migration(migrations.Migration):
    dependencies = [("explore", "0005_listing_index")]
    operations = [migrations.RunPython(forward, backward)]
