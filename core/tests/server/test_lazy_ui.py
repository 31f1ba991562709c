"""The web UI loads with the first page request: a server start and API requests do not import
its page modules, templating or static files (a faster start, a smaller idle server)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import sys
    from fastapi.testclient import TestClient
    from flowyard.server.app import create_app
    from flowyard.settings import Settings

    home = sys.argv[1]
    app = create_app(Settings(home=home, database_url=f"sqlite:///{home}/db.sqlite"))
    with TestClient(app) as client:
        assert client.get("/api/health").status_code == 200
        assert client.get("/api/work_pools").status_code == 200
        print("after the API:", "flowyard.ui.pools" in sys.modules, "jinja2" in sys.modules)
        page = client.get("/pools")
        print("page:", page.status_code, "flowyard.ui.pools" in sys.modules)
        print("static:", client.get("/static/vendor/swagger-ui/swagger-ui.css").status_code)
        print("docs:", client.get("/docs").status_code)
    """
)


def run(tmp_path: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_api_requests_do_not_load_the_ui_and_the_first_page_does(tmp_path: Path) -> None:
    lines = run(tmp_path)
    assert lines[0] == "after the API: False False"
    assert lines[1] == "page: 200 True"
    assert lines[2] == "static: 200"
    assert lines[3] == "docs: 200"
