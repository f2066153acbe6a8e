"""PostgreSQL: a stored tsvector of the title alone, so that broad searches can rank thousands of
matches by their title without reading every row's full vector (``library.search._pg_page``).
Nothing changes on SQLite (no table is rebuilt, so the FTS5 triggers stay as they are)."""

from django.db import migrations

TABLES = ("library_solution", "library_policydocument")


def install(apps, schema_editor):
    from luoshi.library.search import install_title_vector

    for table in TABLES:
        install_title_vector(schema_editor, table)


def uninstall(apps, schema_editor):
    from luoshi.library.search import drop_title_vector

    for table in TABLES:
        drop_title_vector(schema_editor, table)


class Migration(migrations.Migration):
    dependencies = [("library", "0003_registry_from_source_documents")]

    operations = [migrations.RunPython(install, uninstall)]
