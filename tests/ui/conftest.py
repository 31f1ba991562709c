"""Browser tests of the web UI: Playwright driving Debian's chromium headless.

One browser per test session (``browser``); each test gets a fresh context and page. A
screenshot of every page a test visits is saved under ``FLOWYARD_UI_ARTIFACTS`` (default
``tests/ui/artifacts/``, ignored by git). ``scripts/install-chromium`` installs the browser.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
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


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless chromium for the whole test session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


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
    root = tmp_path / "project"
    root.mkdir()
    (root / "flows.py").write_text(FLOWS)
    return root
