"""The FastAPI application factory and its background services."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError

from flowyard import __version__
from flowyard.schemas.common import Health
from flowyard.server.db import Database
from flowyard.server.errors import Conflict, Forbidden, Invalid, NotFound
from flowyard.server.readiness import readiness
from flowyard.server.services.context import ServerContext
from flowyard.server.services.notify import Notifier
from flowyard.settings import Settings, get_settings

log = logging.getLogger("flowyard.server")


async def _service_loop(ctx: ServerContext, name: str, fn: Any) -> None:
    while True:
        try:
            await anyio.to_thread.run_sync(fn, ctx)
        except Exception:
            log.exception("service %s failed; retrying next tick", name)
        await asyncio.sleep(ctx.settings.server_loop_seconds)


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> FastAPI:
    """Build the app: database (migrated), routers, error mapping, service loops."""
    settings = settings or get_settings()
    db = Database(settings.resolved_database_url())
    if migrate and settings.server_migrate_on_start:
        db.migrate()
    ctx = ServerContext(db=db, settings=settings, notifier=Notifier())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db.start_wal_checkpointer()  # SQLite: the WAL is copied off the requests' commits
        tasks = []
        if settings.server_services:
            from flowyard.server.services.loops import SERVICES

            tasks = [asyncio.create_task(_service_loop(ctx, n, f)) for n, f in SERVICES.items()]
            if settings.server_push:
                from flowyard.server.push.supervisor import PushService

                tasks.append(asyncio.create_task(PushService(ctx).run()))
        yield
        for task in tasks:
            task.cancel()
        db.dispose()

    app = FastAPI(
        title="flowyard",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # served by the UI with local Swagger assets (flowyard.ui.install)
        openapi_url="/api/openapi.json",
    )
    app.state.ctx = ctx
    from flowyard.server.boundary import BoundaryMiddleware

    app.add_middleware(BoundaryMiddleware, max_body_bytes=settings.server_max_body_bytes)

    @app.get("/api/health", tags=["health"])
    def health() -> Health:
        """Liveness: answers when the server and its database respond."""
        import sqlalchemy as sa

        with db.read() as conn:
            conn.execute(sa.text("SELECT 1"))
        return Health(status="ok", version=__version__)

    @app.get("/api/ready", tags=["health"], response_model=None)
    def ready() -> JSONResponse:
        """Readiness: 200 when the database answers and its schema is at the newest migration."""
        status = readiness(db)
        return JSONResponse(
            {"status": "ready" if status.ready else "not ready", "reason": status.reason},
            status_code=200 if status.ready else 503,
        )

    from flowyard.server.api import pools, runs, secrets, serve

    # the routers' routes go into the app's own list, after the health checks (routes are
    # matched in order; the routers' prefixes start with /api): FastAPI matches an included
    # router's routes twice per request (once to pick the router, once to pick the route), and a
    # request to a later router also scans every earlier one
    for module in (pools, serve, runs, secrets):
        app.router.routes.extend(module.router.routes)
    if settings.server_ui:
        # the page modules, templating and static files load with the first page request
        from flowyard.server.lazy import LazyRoutes

        def install_ui() -> None:
            from flowyard.ui import install

            install(app)

        app.router.routes.append(LazyRoutes(install_ui, lambda path: not path.startswith("/api/")))

    def _error(
        status: int,
        exc: NotFound | Conflict | Invalid | Forbidden,
        errors: list[dict[str, str]] | None = None,
    ) -> JSONResponse:
        body: dict[str, Any] = {"detail": str(exc), "code": exc.code}
        if errors:
            body["errors"] = errors
        return JSONResponse(body, status_code=status)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return _error(404, exc)

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return _error(409, exc)

    @app.exception_handler(Invalid)
    async def _invalid(_: Request, exc: Invalid) -> JSONResponse:
        return _error(422, exc, exc.errors)

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return _error(403, exc)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        return JSONResponse(
            {"detail": "Conflicting change (a duplicate or a concurrent update); retry."},
            status_code=409,
        )

    @app.exception_handler(RequestValidationError)
    async def _unprocessable(_: Request, exc: RequestValidationError) -> Response:
        # ASCII-escaped: the refused input may hold a lone surrogate, which UTF-8 cannot encode
        body = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=True)
        return Response(body, status_code=422, media_type="application/json")

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> JSONResponse:
        # a safety net: the schemas bound every field to its column, so this means a bound is
        # missing; the client still learns it is their value, not a server fault
        log.warning("a value did not fit its column: %s", exc.orig)
        return JSONResponse(
            {"detail": "A value does not fit its database column (too long or out of range)."},
            status_code=422,
        )

    return app
