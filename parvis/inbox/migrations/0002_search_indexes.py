"""Full-text search on PostgreSQL: a GIN index on the folded text ('simple' configuration: the column is
already lower-cased and without accents). SQLite searches with LIKE on the same column."""

from django.db import migrations

PG_FORWARD = [
    "CREATE INDEX IF NOT EXISTS inbox_comment_search_fts ON inbox_comment "
    "USING gin (to_tsvector('simple', search))",
    "CREATE INDEX IF NOT EXISTS inbox_comment_labels_gin ON inbox_comment USING gin (labels jsonb_path_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS inbox_comment_search_fts",
    "DROP INDEX IF EXISTS inbox_comment_labels_gin",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
