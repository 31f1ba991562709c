"""Login and logout (only meaningful when ``FLOWYARD_SERVER_AUTH`` is on)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from flowyard.ui.security import CSRF_COOKIE, SESSION_COOKIE, SESSION_SECONDS, csrf_ok, login
from flowyard.ui.web import ctx_of, redirect, render, signer_of

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    """Only paths of this UI (no scheme, no host) may be returned to after login."""
    target = target.lstrip("/")
    return "pools" if not target or ":" in target or target.startswith("/") else target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "pools") -> Response:
    """The API-key sign-in form."""
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request) -> Response:
    """Check the key; on success set the signed session cookie and go on."""
    form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    target = _safe_next(form.get("next", "pools"))
    if not csrf_ok(request.cookies.get(CSRF_COOKIE), form.get("csrf")):
        return render(request, "login.html", status=403, next=target, error="Stale form; retry.")
    session = await run_in_threadpool(
        login, ctx_of(request), signer_of(request), form.get("key", "")
    )
    if session is None:
        return render(request, "login.html", status=401, next=target, error="Invalid API key.")
    response = redirect(request, target)
    response.set_cookie(
        SESSION_COOKIE,
        session,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Forget the session."""
    form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    response = redirect(request, "login")
    if csrf_ok(request.cookies.get(CSRF_COOKIE), form.get("csrf")):
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response
