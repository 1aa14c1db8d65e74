"""The engine's full-text index over Entry.text (see exiledb.explore.fulltext)."""

from django.db import migrations

SQLITE = (
    "CREATE VIRTUAL TABLE explore_fts USING fts5(text, content='explore_entry', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
)
POSTGRES = (
    "CREATE INDEX explore_entry_fulltext ON explore_entry "
    "USING gin (to_tsvector('simple'::regconfig, text))"
)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS explore_fts")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS explore_entry_fulltext")


class Migration(migrations.Migration):
    dependencies = [("explore", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
