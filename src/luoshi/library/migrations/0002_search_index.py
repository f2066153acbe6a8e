"""Full-text indexes on the segmented search columns: FTS5 on SQLite, a stored tsvector with a GIN
index on PostgreSQL (see ``luoshi.library.search``)."""

from django.db import migrations

TABLES = ("library_solution", "library_policydocument")


def install(apps, schema_editor):
    from luoshi.library.search import install_index

    for table in TABLES:
        install_index(schema_editor, table)


def uninstall(apps, schema_editor):
    from luoshi.library.search import drop_index

    for table in TABLES:
        drop_index(schema_editor, table)


class Migration(migrations.Migration):
    dependencies = [("library", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
