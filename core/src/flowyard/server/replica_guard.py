"""One server per SQLite file: an exclusive lock file next to the database.

SQLite serialises writers inside one process (see :mod:`flowyard.server.db`), but two server
processes on the same file would run the service loops twice and fight over the write lock. The
server therefore holds ``<database>.server.lock`` with ``flock`` for its whole life; the kernel
drops the lock when the process ends, even on SIGKILL, so a crashed server never blocks a restart.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import make_url


class SQLiteReplicaError(RuntimeError):
    """Another server already serves this SQLite database."""


def sqlite_lock_path(url: str) -> Path | None:
    """The lock file for a file-backed SQLite URL; ``None`` for other databases or ``:memory:``."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(f"{parsed.database}.server.lock")


def hold_sqlite_server_lock(url: str) -> int | None:
    """Take the single-replica lock for ``url`` and return its descriptor (keep it open).

    Raises :class:`SQLiteReplicaError` naming the database and the fix when another process
    holds it. Returns ``None`` (nothing to hold) for PostgreSQL and in-memory SQLite.
    """
    path = sqlite_lock_path(url)
    if path is None:
        return None
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise SQLiteReplicaError(
            f"Another flowyard server (pid {holder}) already uses the SQLite database "
            f"{str(path).removesuffix('.server.lock')}"
            f" (lock file {path}). SQLite supports exactly one server replica: stop the other "
            "server, or run several replicas on PostgreSQL by setting FLOWYARD_DATABASE_URL."
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd
