"""Sign-in when auth is on, CSRF on forms, and /docs without any outside request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from flowyard.settings import Settings
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer, start_server, stop_server
from playwright.sync_api import expect
from ui_helpers import create_key

pytestmark = SQLITE_ONLY


@pytest.fixture
def auth_server(server_settings: Settings) -> Iterator[RunningServer]:
    running = start_server(server_settings.model_copy(update={"server_auth": True}))
    yield running
    stop_server(running)


def test_without_a_key_the_ui_asks_to_sign_in_and_refuses_a_wrong_key(
    auth_server: RunningServer, page: Any
) -> None:
    page.goto(auth_server.url + "/pools")
    expect(page.locator("#login-form")).to_be_visible()
    page.shot("login")
    page.fill("input[name=key]", "not-a-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-form .error")).to_have_text("Invalid API key.")
    page.goto(auth_server.url + "/runs")
    expect(page.locator("#login-form")).to_be_visible()


def test_signing_in_with_a_key_opens_the_ui(auth_server: RunningServer, page: Any) -> None:
    key = create_key(auth_server.settings, "ops", "admin")
    page.goto(auth_server.url + "/runs")
    page.fill("input[name=key]", key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Flow runs")
    expect(page.locator("header .who")).to_contain_text("ops (admin)")
    assert key not in str(page.context.cookies())


def test_a_read_only_key_cannot_change_a_pool(auth_server: RunningServer, page: Any) -> None:
    admin = create_key(auth_server.settings, "admin", "admin")
    viewer_key = create_key(auth_server.settings, "viewer", "read-only")
    httpx.post(
        f"{auth_server.api_url}/work_pools",
        json={"name": "guarded", "type": "process"},
        headers={"Authorization": f"Bearer {admin}"},
        timeout=10,
    )
    page.goto(auth_server.url + "/login")
    page.fill("input[name=key]", viewer_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("tr[data-pool=guarded] button")).to_be_disabled()


def test_a_form_post_without_the_csrf_token_is_refused(server: RunningServer) -> None:
    httpx.post(f"{server.api_url}/work_pools", json={"name": "p", "type": "process"}, timeout=10)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        client.get("/pools")  # receives the CSRF cookie
        refused = client.post("/pools/p/pause", data={"paused": "true"})
        forged = client.post("/pools/p/pause", data={"paused": "true", "csrf": "guess"})
    assert refused.status_code == 403
    assert forged.status_code == 403
    assert not httpx.get(f"{server.api_url}/work_pools/p", timeout=10).json()["is_paused"]


def test_docs_load_with_local_assets_only(server: RunningServer, page: Any) -> None:
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    page.goto(server.url + "/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    page.shot("docs")
    assert hosts == {urlparse(server.url).netloc}
