"""The table declarations and the Alembic migrations describe the same schema, on both databases.

The migrations create the database; ``flowyard.server.tables`` is what the services and the API
bounds are written against. Alembic's autogenerate comparison of the two must find nothing:
no missing or extra table, column or index, and no difference in a column's type, length or
nullability.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flowyard.server import tables as t
from flowyard.server.db import Database


def _differences(url: str) -> list[Any]:
    db = Database(url)
    try:
        db.migrate()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": False}
            )
            found = compare_metadata(context, t.metadata)
    finally:
        db.dispose()
    return [
        d
        for d in found
        if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")
    ]


def test_the_migrated_schema_matches_the_table_declarations(database_url: str) -> None:
    assert _differences(database_url) == []


def test_every_declared_string_column_has_the_length_of_its_bound(database_url: str) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        inspector = sa.inspect(db.engine)
        for table in t.metadata.sorted_tables:
            stored = {c["name"]: c for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if isinstance(column.type, sa.String) and column.type.length:
                    assert (
                        getattr(stored[column.name]["type"], "length", None) == column.type.length
                    ), (
                        table.name,
                        column.name,
                    )
                assert stored[column.name]["nullable"] == column.nullable, (table.name, column.name)
    finally:
        db.dispose()


def test_each_table_model_field_is_bounded_like_its_column() -> None:
    from annotated_types import MaxLen
    from flowyard.server import models as m

    checked = 0
    for model in m.Table.__subclasses__():
        table = getattr(model, "__table__")  # noqa: B009
        for name, field in model.model_fields.items():
            column = table.c[name]
            if isinstance(column.type, sa.String) and column.type.length:
                bounds = [b.max_length for b in field.metadata if isinstance(b, MaxLen)]
                assert bounds == [column.type.length], (table.name, name)
                checked += 1
    assert checked > 40
