"""Database engine, transactions and migrations.

SQLite (the embedded default) runs in WAL mode; every write transaction takes the write lock up
front (``BEGIN IMMEDIATE``) behind a process-wide lock, so writers queue in order instead of
failing with "database is locked". PostgreSQL uses ordinary READ COMMITTED transactions; the
claim path serialises per pool with ``SELECT ... FOR UPDATE`` on the pool row.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

log = logging.getLogger("flowyard.server.db")

SQLITE_CHECKPOINT_PAGES = 1000
"""SQLite's own commit-time checkpoint threshold (a ``Database`` without the checkpointer)."""
BACKSTOP_CHECKPOINT_PAGES = 10_000
"""The commit-time threshold while :class:`WalCheckpointer` runs: only if it falls behind."""


class Database:
    """One engine plus the transaction helpers the services use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._write_lock = threading.Lock()
        self._checkpointer: WalCheckpointer | None = None
        if self.is_sqlite:
            self.engine = sa.create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": 30},
                pool_size=8,
                max_overflow=16,
            )
            event.listen(self.engine, "connect", self._sqlite_on_connect)
            event.listen(self.engine, "begin", _sqlite_on_begin)
        else:
            self.engine = sa.create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A read-write transaction, committed on success and rolled back on any error."""
        if self.is_sqlite:
            with self._write_lock, self.engine.connect() as conn:
                conn.execution_options(flowyard_immediate=True)
                with conn.begin():
                    yield conn
        else:
            with self.engine.begin() as conn:
                yield conn

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read-only transaction (never blocks writers under WAL)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def current_revisions(self) -> set[str]:
        """The revision(s) the database is at (empty before the first migration).

        Read from ``alembic_version`` directly, without importing Alembic.
        """
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return set()
            return {
                str(v)
                for v in conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
            }

    def schema_is_current(self) -> bool:
        """The database is at the newest revision already (read without importing Alembic)."""
        return self.current_revisions() == head_revisions()

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` (idempotent; Alembic is not imported when the schema
        is at the head already, so a warm start does no migration work)."""
        if revision == "head" and self.schema_is_current():
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option(
            "script_location", str(files("flowyard.server").joinpath("migrations"))
        )
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)

    def start_wal_checkpointer(self, interval_seconds: float = 0.2) -> None:
        """SQLite: copy the WAL into the database file from a background thread from now on.

        By default SQLite checkpoints inside the commit that grows the WAL past 1,000 pages: that
        commit (a claim, a state change) copies ~4 MB and waits for the disk's flush while it
        holds the write lock, so every writer behind it waits too. With the checkpointer the
        request connections only append to the WAL; a thread runs a PASSIVE checkpoint every
        ``interval_seconds`` (it never blocks readers or writers). The commit-time checkpoint
        stays as a backstop at 10,000 pages, should the thread fall behind. No-op on PostgreSQL.
        """
        if not self.is_sqlite or self._checkpointer is not None:
            return
        self._checkpointer = WalCheckpointer(self.engine, interval_seconds)
        self.engine.dispose()  # pooled connections reconnect with the backstop setting
        self._checkpointer.start()

    def dispose(self) -> None:
        """Stop the WAL checkpointer (after a last checkpoint) and close every pooled connection."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self.engine.dispose()

    def _sqlite_on_connect(self, dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        pages = BACKSTOP_CHECKPOINT_PAGES if self._checkpointer else SQLITE_CHECKPOINT_PAGES
        cursor.execute(f"PRAGMA wal_autocheckpoint={pages}")
        cursor.close()


class WalCheckpointer:
    """A daemon thread that runs ``PRAGMA wal_checkpoint(PASSIVE)`` on its own connection every
    ``interval_seconds`` (a checkpoint of an already copied WAL returns at once), and once more
    when stopped (see :meth:`Database.start_wal_checkpointer`)."""

    def __init__(self, engine: sa.Engine, interval_seconds: float) -> None:
        self._engine = engine
        self._interval = interval_seconds
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="flowyard-wal-checkpoint", daemon=True
        )

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after its last checkpoint."""
        self._stopping.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        conn = self._engine.raw_connection()
        try:
            while True:
                stopping = self._stopping.wait(self._interval)
                try:
                    cursor = conn.cursor()
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    cursor.fetchall()
                    cursor.close()
                except Exception:  # a busy or closing database: the next tick tries again
                    log.debug("WAL checkpoint failed", exc_info=True)
                if stopping:
                    return
        finally:
            conn.close()


_REVISION = re.compile(r"^(down_)?revision\b[^=\n]*=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"']+)["']""")


def head_revisions() -> set[str]:
    """The newest revisions, read from the migration scripts' text (no Alembic import).

    The one source of the head for both the start-up shortcut (:meth:`Database.migrate`) and
    readiness (:mod:`flowyard.server.readiness`); a test checks it against Alembic's own answer.

    A revision no other script names as its ``down_revision`` is a head (what ``alembic upgrade
    head`` targets). A script this cannot read yields an impossible head, so the caller migrates.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in files("flowyard.server").joinpath("migrations", "versions").iterdir():
        if not script.name.endswith(".py"):
            continue
        found = False
        for down, value in _REVISION.findall(script.read_text()):
            names = set(_QUOTED.findall(value))
            if down:
                parents |= names
            else:
                revisions |= names
                found = found or bool(names)
        if not found:
            return {f"<unreadable {script.name}>"}
    return revisions - parents


def _sqlite_on_begin(conn: sa.Connection) -> None:
    immediate = conn.get_execution_options().get("flowyard_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
