"""The peer (Prefect 3.9.1) in its own throwaway venv, cached between runs.

``pip install prefect==3.9.1`` fails on this index: 3.9.1 pins ``certifi>=2026.10.19`` and the
newest certifi here is 2026.10.18. So Prefect is installed with ``--no-deps`` and then its
declared requirements (the ones without an extra), with that one pin relaxed to any certifi.
The venv lives in ``$FLOWYARD_BENCH_CACHE`` (default ``~/.cache/flowyard-bench``) and is reused
while its marker file names the same version; ``python bench/compare/peer.py`` only installs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

VERSION = "3.9.1"
CACHE = Path(os.environ.get("FLOWYARD_BENCH_CACHE", Path.home() / ".cache" / "flowyard-bench"))
VENV = CACHE / f"prefect-{VERSION}"
MARKER = VENV / "installed.txt"

REQUIREMENTS = """
import importlib.metadata as m, json
print(json.dumps(m.requires("prefect") or []))
"""


def bin_path(name: str) -> Path:
    """An executable of the peer's venv (``python``, ``prefect``)."""
    return VENV / "bin" / name


def _relax(requirement: str) -> str:
    """certifi's unsatisfiable pin dropped; every other requirement as declared."""
    name = re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0]
    if name.lower() == "certifi":
        return "certifi" + (";" + requirement.split(";", 1)[1] if ";" in requirement else "")
    return requirement


def ensure() -> Path:
    """The peer's venv, installed on first use; its directory."""
    if MARKER.is_file() and MARKER.read_text().strip() == VERSION:
        return VENV
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"installing prefect {VERSION} into {VENV} (once; cached)", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    pip = [str(bin_path("python")), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--no-deps", f"prefect=={VERSION}"], check=True)
    import json

    declared = json.loads(
        subprocess.run(
            [str(bin_path("python")), "-c", REQUIREMENTS],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    needed = [_relax(r) for r in declared if "extra ==" not in r and "extra==" not in r]
    subprocess.run([*pip, *needed], check=True)
    MARKER.write_text(VERSION)
    return VENV


if __name__ == "__main__":
    print(ensure())
