"""Browser tests of the web UI: Playwright driving Debian's chromium headless.

One browser for each run of consecutive tests here (``browser``), stopped with its event loop
once the session moves on; each test gets a fresh context and page. A screenshot of every page a
test visits is saved under ``FLOWYARD_UI_ARTIFACTS`` (default ``tests/ui/artifacts/``, ignored by
git). ``scripts/install-chromium`` installs the browser.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flowyard.testing.e2e import flow_project
from ui_helpers import FLOWS

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("FLOWYARD_UI_ARTIFACTS", Path(__file__).parent / "artifacts"))


def chromium_path() -> str:
    """Debian's chromium (installed by scripts/install-chromium)."""
    found = os.environ.get("FLOWYARD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        pytest.skip("chromium is not installed: run scripts/install-chromium")
    return found


class SharedChromium:
    """One headless chromium for consecutive browser tests, started on first use.

    Playwright's sync API keeps its asyncio event loop marked as running in the main thread for as
    long as it is started, so :meth:`close` stops it (and the loop) as soon as the session leaves
    ``tests/ui``: a later test may then call ``asyncio.run``.
    """

    def __init__(self) -> None:
        self._manager: Any = None
        self._browser: Any = None

    def get(self) -> Any:
        """The running browser, launched (with its Playwright) when none is."""
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            path = chromium_path()
            manager = sync_playwright()
            playwright = manager.__enter__()
            self._manager = manager
            self._browser = playwright.chromium.launch(
                executable_path=path, headless=True, args=CHROMIUM_ARGS
            )
        return self._browser

    def close(self) -> None:
        """Close the browser and stop Playwright, which closes its event loop."""
        browser, manager = self._browser, self._manager
        self._browser = self._manager = None
        try:
            if browser is not None:
                browser.close()
        finally:
            if manager is not None:
                manager.__exit__(None, None, None)


CHROMIUM = SharedChromium()
UI_TESTS = Path(__file__).resolve().parent


@pytest.fixture
def browser() -> Any:
    """The shared headless chromium (see :class:`SharedChromium`)."""
    return CHROMIUM.get()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After the last of a run of tests here (its fixtures torn down), stop the browser."""
    try:
        return (yield)
    finally:
        if nextitem is None or not nextitem.path.resolve().is_relative_to(UI_TESTS):
            CHROMIUM.close()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop the browser when the session ends early (``-x``, Ctrl+C)."""
    CHROMIUM.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context and page; ``page.shot(name)`` saves a screenshot artifact."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    test = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def shot(name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{test}--{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    tab.shot = shot
    yield tab
    context.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory with the flows these tests deploy."""
    return flow_project(tmp_path, FLOWS)
