"""``flowyard server``: run the API server, manage API keys."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import TYPE_CHECKING

import typer

from flowyard.cli.output import fail

if TYPE_CHECKING:
    import socket

    import uvicorn

app = typer.Typer(help="Run the flowyard server and manage its API keys.", no_args_is_help=True)
keys = typer.Typer(
    help="Create and list API keys (run on the server's machine).", no_args_is_help=True
)
app.add_typer(keys, name="api-key")


@contextlib.contextmanager
def building_for_good() -> Iterator[None]:
    """No garbage-collection passes while the server is built; afterwards its objects are frozen.

    Importing and building the app creates a few hundred thousand objects that live as long as
    the server. Collecting while they pile up walks them again and again (~0.1 s of a start);
    frozen (:func:`gc.freeze`), no later full collection walks them either. The price: cyclic
    garbage made during start-up (~0.4 MB) is never freed.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


@app.command("start")
def start(
    host: str | None = typer.Option(None, help="bind address [FLOWYARD_SERVER_HOST, 127.0.0.1]"),
    port: int | None = typer.Option(
        None, min=1, max=65535, help="port [FLOWYARD_SERVER_PORT, 4200]"
    ),
    auth: bool | None = typer.Option(
        None, "--auth/--no-auth", help="require API keys [FLOWYARD_SERVER_AUTH]"
    ),
    docker_bridge: bool | None = typer.Option(
        None,
        "--docker-bridge/--no-docker-bridge",
        help="bound to loopback: also listen on docker0 so containers reach the server "
        "[FLOWYARD_SERVER_DOCKER_BRIDGE, on]",
    ),
) -> None:
    """Start the server: embedded SQLite under FLOWYARD_HOME, or FLOWYARD_DATABASE_URL."""
    with building_for_good():
        server, sockets = _build(host, port, auth, docker_bridge)
    server.run(sockets=sockets)


def _build(
    host: str | None, port: int | None, auth: bool | None, docker_bridge: bool | None
) -> tuple[uvicorn.Server, list[socket.socket]]:
    """The server, with its app built and its listening sockets open (exits on a bad start)."""
    import uvicorn

    from flowyard.server.app import create_app
    from flowyard.server.listen import ListenError, listen_addresses, open_socket
    from flowyard.settings import get_settings

    settings = get_settings()
    updates = {
        k: v
        for k, v in {
            "server_host": host,
            "server_port": port,
            "server_auth": auth,
            "server_docker_bridge": docker_bridge,
        }.items()
        if v is not None
    }
    settings = settings.model_copy(update=updates)
    from flowyard.server.replica_guard import SQLiteReplicaError, hold_sqlite_server_lock

    try:
        hold_sqlite_server_lock(settings.resolved_database_url())  # held until the process ends
    except SQLiteReplicaError as exc:
        fail(str(exc))
    addresses = listen_addresses(settings.server_host, settings.server_docker_bridge)
    try:
        sockets = [open_socket(addresses[0], settings.server_port)]
    except ListenError as exc:
        fail(str(exc))
    typer.echo(
        f"flowyard server on http://{settings.server_host}:{settings.server_port} "
        f"(API /api, docs /docs, database {settings.resolved_database_url().split('@')[-1]})"
    )
    for extra in addresses[1:]:
        try:
            sockets.append(open_socket(extra, settings.server_port))
        except ListenError as exc:
            typer.echo(f"Warning: {exc} Containers may not reach the server.", err=True)
            continue
        typer.echo(
            f"Also listening on {extra} (the Docker bridge): containers reach the server as "
            f"http://host.docker.internal:{settings.server_port}/api (--no-docker-bridge: off)"
        )
    config = uvicorn.Config(
        create_app(settings),
        log_level="warning",
        timeout_graceful_shutdown=2,  # long-polling workers retry; do not wait out their polls
    )
    return uvicorn.Server(config), sockets


@app.command("migrate")
def migrate() -> None:
    """Bring the database schema to the newest revision once (for FLOWYARD_SERVER_MIGRATE_ON_START=false)."""
    from flowyard.server.db import Database
    from flowyard.settings import get_settings

    db = Database(get_settings().resolved_database_url())
    try:
        db.migrate()
        revision = ", ".join(sorted(db.current_revisions()))
    finally:
        db.dispose()
    typer.echo(f"database migrated to revision {revision}")


@keys.command("create")
def create_key(
    name: str = typer.Option(..., help="a unique name for the key"),
    role: str = typer.Option(..., help="admin, deployer, worker or read-only"),
    pool: list[str] = typer.Option(
        [],
        "--pool",
        help="bind a worker key to this pool (repeatable); it then acts only on these pools' "
        "runs and workers. Without --pool a worker key works every pool.",
    ),
) -> None:
    """Create an API key in the server's database and print it once."""
    import secrets

    from flowyard.schemas.common import utcnow
    from flowyard.server import tables as t
    from flowyard.server.api.deps import Role, hash_key
    from flowyard.server.db import Database
    from flowyard.server.services.ids import new_id
    from flowyard.settings import get_settings

    try:
        role_value = Role(role)
    except ValueError:
        fail(f"--role must be one of: {', '.join(r.value for r in Role)}")
    if pool and role_value is not Role.worker:
        fail("--pool binds worker keys only; use it with --role worker.")
    db = Database(get_settings().resolved_database_url())
    db.migrate()
    key = "fy_" + secrets.token_urlsafe(32)
    import sqlalchemy as sa

    with db.write() as conn:
        if conn.execute(sa.select(t.api_key.c.id).where(t.api_key.c.name == name)).first():
            fail(f"An API key named {name!r} already exists.")
        conn.execute(
            t.api_key.insert().values(
                id=new_id(),
                name=name,
                role=role_value.value,
                key_hash=hash_key(key),
                pools=list(pool) if pool else None,
                created=utcnow(),
            )
        )
    typer.echo(key)
