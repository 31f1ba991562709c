"""What every page needs: templates, relative URLs, the viewer, CSRF, form bodies, flash messages.

Every URL a page emits is relative to the page itself (``root`` is ``./`` or ``../``...), so the
UI works under any proxy prefix without being told its public address. Templates only ever show
stored data as data (autoescape on; templates are files, never built from user text), so a base
job template's ``{{ placeholder }}`` is displayed, not evaluated.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from flowyard.server.api.deps import Perm
from flowyard.server.services.context import ServerContext
from flowyard.ui.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Signer,
    Viewer,
    csrf_ok,
    new_csrf_token,
    viewer_for,
)

FLASH_COOKIE = "flowyard_flash"


@lru_cache(maxsize=1)
def environment() -> Any:
    """The Jinja2 environment for the UI's own template files (created on first use)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("flowyard.ui", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["q"] = lambda value: quote(str(value), safe="")
    env.filters["ago"] = ago
    env.filters["when"] = when
    env.filters["pretty"] = lambda value: json.dumps(value, indent=2, sort_keys=False)
    env.filters["duration"] = duration
    return env


def ago(value: dt.datetime | None) -> str:
    """``12s ago`` / ``3m ago`` / ``never``."""
    if value is None:
        return "never"
    seconds = (dt.datetime.now(dt.UTC) - value).total_seconds()
    if seconds < 0:
        return "in " + _span(-seconds)
    return _span(seconds) + " ago"


def _span(seconds: float) -> str:
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def when(value: dt.datetime | None) -> str:
    """An exact UTC timestamp, or an em dash."""
    return "—" if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(start: dt.datetime | None, end: dt.datetime | None = None) -> str:
    """Duration between two times (until now when ``end`` is None)."""
    if start is None:
        return "—"
    seconds = ((end or dt.datetime.now(dt.UTC)) - start).total_seconds()
    return f"{seconds:.1f}s" if seconds < 60 else _span(seconds)


def ctx_of(request: Request) -> ServerContext:
    """The server context."""
    ctx: ServerContext = request.app.state.ctx
    return ctx


def signer_of(request: Request) -> Signer:
    """The app's session signer."""
    signer: Signer = request.app.state.ui_signer
    return signer


def root(request: Request) -> str:
    """The relative path from this page to the UI root (``./``, ``../``, ...)."""
    path = request.scope.get("path", "/")
    root_path = request.scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    depth = max(path.count("/") - 1, 0)
    return "../" * depth if depth else "./"


def viewer(request: Request, perm: Perm = Perm.read) -> Viewer:
    """The signed-in viewer; redirects to the login page without a session, 403 without ``perm``."""
    found = viewer_for(ctx_of(request), signer_of(request), request.cookies.get(SESSION_COOKIE))
    if found is None:
        target = root(request) + "login?next=" + quote(request.url.path, safe="")
        raise HTTPException(303, "Sign in with an API key.", headers={"Location": target})
    if not found.may(perm):
        raise HTTPException(
            403, f"API keys with role '{found.role.value}' may not do this (needs '{perm.value}')."
        )
    return found


async def form_of(request: Request, perm: Perm) -> tuple[Viewer, dict[str, str]]:
    """Check the viewer and the CSRF token of a POST; return (viewer, form fields)."""
    who = viewer(request, perm)
    body = (await request.body()).decode("utf-8", errors="replace")
    fields = dict(parse_qsl(body, keep_blank_values=True))
    if not csrf_ok(request.cookies.get(CSRF_COOKIE), fields.get("csrf")):
        raise HTTPException(403, "The form's CSRF token is missing or stale; reload the page.")
    return who, fields


def render(
    request: Request,
    template: str,
    *,
    who: Viewer | None = None,
    status: int = 200,
    **values: Any,
) -> HTMLResponse:
    """Render a page (or a fragment) with the common values and the CSRF cookie."""
    token = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
    raw_flash = request.cookies.get(FLASH_COOKIE)
    flash = unquote(raw_flash) if raw_flash else None
    html = (
        environment()
        .get_template(template)
        .render(
            root=root(request),
            csrf=token,
            viewer=who,
            auth_on=ctx_of(request).settings.server_auth,
            flash=flash,
            path=request.url.path,
            **values,
        )
    )
    response = HTMLResponse(html, status_code=status)
    if CSRF_COOKIE not in request.cookies:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(request: Request, target: str, flash: str | None = None) -> RedirectResponse:
    """303 to a path relative to the UI root, optionally with a one-shot message."""
    response = RedirectResponse(root(request) + target, status_code=303)
    if flash:
        response.set_cookie(FLASH_COOKIE, quote(flash), path="/", max_age=60, samesite="lax")
    return response
