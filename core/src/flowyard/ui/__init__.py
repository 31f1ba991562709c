"""The web UI: server-rendered pages (Jinja2 + vendored htmx) mounted at ``/`` by the server.

Pages call the server's services in-process (no HTTP to itself), so forms get the same validation
as the REST API. Every asset is served from ``static/`` (``/static``), every link is relative.
``install(app)`` adds the routes; nothing heavy is imported until a page is requested.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles


def install(app: FastAPI) -> None:
    """Mount the UI pages, ``/static`` and ``/docs`` (Swagger UI from local assets)."""
    from flowyard.ui import auth, deployments, pools, runs, template_editor
    from flowyard.ui.security import Signer

    app.state.ui_signer = Signer(app.state.ctx.settings.server_ui_secret)
    app.mount("/static", StaticFiles(directory=str(files("flowyard.ui") / "static")), name="static")
    for module in (auth, pools, template_editor, deployments, runs):
        app.include_router(module.router)

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        """The UI starts at the pools list."""
        return RedirectResponse("./pools", status_code=307)

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        """Swagger UI for the REST API, with its script and styles served by this server."""
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(
            openapi_url="api/openapi.json",
            title="flowyard API",
            swagger_js_url="static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="static/vendor/swagger-ui/favicon-32x32.png",
        )
