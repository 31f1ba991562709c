"""What a warm engine prepares before it forks: every run inherits it instead of redoing it."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from flowyard.engine.warm import preload
from flowyard.schemas.common import Response

preload()

def subclasses(model):
    for sub in model.__subclasses__():
        yield sub
        yield from subclasses(sub)

lazy = sorted(m.__name__ for m in subclasses(Response) if not m.__pydantic_complete__)
print(",".join(lazy))
print("\\n".join(sorted(sys.modules)), file=sys.stderr)
"""


def _preloaded() -> tuple[list[str], set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    lazy = [name for name in done.stdout.strip().split(",") if name]
    return lazy, set(done.stderr.split())


def test_preloading_builds_every_answer_model_so_no_run_builds_one() -> None:
    lazy, _ = _preloaded()
    assert lazy == []


def test_preloading_imports_neither_settings_nor_httpx_command_line_client() -> None:
    _, modules = _preloaded()
    assert "httpx._main" not in modules
    assert "pydantic_settings" not in modules
