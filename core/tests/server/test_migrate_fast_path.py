"""Starting on a current schema does no migration work (Alembic is not even imported)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from flowyard.server.db import Database, head_revisions

PROBE = """
import sys
from flowyard.server.db import Database
Database(sys.argv[1]).migrate()
print("alembic" in sys.modules)
"""


def migrate_in_fresh_interpreter(url: str) -> bool:
    """Migrate ``url`` in a new interpreter; whether that imported Alembic."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, url], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.strip() == "True"


def test_the_head_is_the_newest_migration_script() -> None:
    scripts = sorted(
        p.name
        for p in (Path(__file__).parents[2] / "src/flowyard/server/migrations/versions").glob(
            "0*.py"
        )
    )
    assert head_revisions() == {scripts[-1].split("_")[0]}


def test_the_head_read_from_the_scripts_is_alembics_head() -> None:
    from importlib.resources import files

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(files("flowyard.server").joinpath("migrations")))
    assert head_revisions() == set(ScriptDirectory.from_config(config).get_heads())


def test_an_empty_database_is_migrated_and_a_current_one_is_left_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert migrate_in_fresh_interpreter(url) is True
    database = Database(url)
    try:
        assert database.schema_is_current()
    finally:
        database.dispose()
    assert migrate_in_fresh_interpreter(url) is False


def test_a_database_behind_the_head_is_migrated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    database = Database(url)
    try:
        database.migrate("0002")
        assert not database.schema_is_current()
        assert migrate_in_fresh_interpreter(url) is True
        assert database.schema_is_current()
    finally:
        database.dispose()
