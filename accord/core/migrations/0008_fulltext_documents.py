"""The full-text document table and its index: tsvector + GIN on PostgreSQL, FTS5 + triggers on SQLite."""

from django.db import migrations, models

SQLITE_FORWARD = [
    # External content: the words live once, in core_fulltextdocument; the FTS5 table holds the index.
    # porter = English stemming; prefix='2 3' makes as-you-type prefix queries use prefix indexes.
    """CREATE VIRTUAL TABLE core_fulltext_fts USING fts5(
        title, body, extra,
        content='core_fulltextdocument', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')""",
    """CREATE TRIGGER core_fulltext_ai AFTER INSERT ON core_fulltextdocument BEGIN
        INSERT INTO core_fulltext_fts(rowid, title, body, extra) VALUES (new.id, new.title, new.body, new.extra);
    END""",
    """CREATE TRIGGER core_fulltext_ad AFTER DELETE ON core_fulltextdocument BEGIN
        INSERT INTO core_fulltext_fts(core_fulltext_fts, rowid, title, body, extra)
        VALUES ('delete', old.id, old.title, old.body, old.extra);
    END""",
    """CREATE TRIGGER core_fulltext_au AFTER UPDATE ON core_fulltextdocument BEGIN
        INSERT INTO core_fulltext_fts(core_fulltext_fts, rowid, title, body, extra)
        VALUES ('delete', old.id, old.title, old.body, old.extra);
        INSERT INTO core_fulltext_fts(rowid, title, body, extra) VALUES (new.id, new.title, new.body, new.extra);
    END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_fulltext_au",
    "DROP TRIGGER IF EXISTS core_fulltext_ad",
    "DROP TRIGGER IF EXISTS core_fulltext_ai",
    "DROP TABLE IF EXISTS core_fulltext_fts",
]
POSTGRES_FORWARD = [
    # A stored generated column: every insert or update recomputes it, so nothing can forget to.
    """ALTER TABLE core_fulltextdocument ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce(extra, '')), 'C')) STORED""",
    "CREATE INDEX core_fulltext_vector ON core_fulltextdocument USING gin (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS core_fulltext_vector",
    "ALTER TABLE core_fulltextdocument DROP COLUMN IF EXISTS search_vector",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_worker_heartbeat"),
    ]

    operations = [
        migrations.CreateModel(
            name="FullTextDocument",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("doc_type", models.CharField(max_length=40)),
                ("object_id", models.BigIntegerField()),
                ("title", models.TextField(blank=True, default="")),
                ("body", models.TextField(blank=True, default="")),
                (
                    "extra",
                    models.TextField(blank=True, default="", help_text="More words to match, weighted lowest."),
                ),
                ("indexed_at", models.DateTimeField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("doc_type", "object_id"), name="fulltext_type_object")
                ],
            },
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
