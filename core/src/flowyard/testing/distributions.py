"""Build throwaway *installed* distributions (real ``.dist-info`` metadata) for plugin tests."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path


def install_fake_distribution(
    site_dir: Path,
    name: str,
    version: str = "0.1.0",
    *,
    entry_points: dict[str, dict[str, str]] | None = None,
    modules: dict[str, str] | None = None,
) -> Path:
    """Write a distribution with real entry-point metadata into ``site_dir`` and put it on sys.path.

    ``importlib.metadata`` finds it exactly as it finds a pip-installed package.

    :param entry_points: ``{group: {entry_name: "module:attr"}}``.
    :param modules: ``{"pkg/mod.py": "source"}`` files written under ``site_dir``.
    :returns: the ``.dist-info`` directory.
    """
    site_dir.mkdir(parents=True, exist_ok=True)
    for relative, source in (modules or {}).items():
        target = site_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(source))
    dist_info = site_dir / f"{name.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir(exist_ok=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    )
    lines = []
    for group, entries in (entry_points or {}).items():
        lines.append(f"[{group}]")
        lines.extend(f"{k} = {v}" for k, v in entries.items())
        lines.append("")
    (dist_info / "entry_points.txt").write_text("\n".join(lines))
    if str(site_dir) not in sys.path:
        sys.path.insert(0, str(site_dir))
    return dist_info


def build_wheel(source: Path, out: Path) -> Path:
    """``pip wheel`` one project (no dependencies, no build isolation) into ``out``; returns the wheel.

    Uses this interpreter's pip and build backend (hatchling), so it works without an index.
    """
    import subprocess

    before = set(out.glob("*.whl"))
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*pip_wheel, "-w", str(out), str(source)], check=True)
    built = set(out.glob("*.whl")) - before
    return built.pop() if built else max(out.glob("*.whl"), key=lambda p: p.stat().st_mtime)


def create_venv(env_dir: Path, *requirements: str) -> Path:
    """A new venv at ``env_dir`` with ``requirements`` pip-installed (wheels, paths or names).

    :returns: the venv's ``bin`` directory.
    """
    import subprocess
    import venv

    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    if requirements:
        subprocess.run(
            [str(bin_dir / "python"), "-m", "pip", "install", "-q", *requirements], check=True
        )
    return bin_dir


def install_fake_worker_type(site_dir: Path, worker_type: str, module: str, source: str) -> Path:
    """Install distribution ``fy-<worker_type>`` whose ``flowyard.workers`` entry point
    ``worker_type`` names ``module``, written from ``source``.

    :returns: the ``.dist-info`` directory.
    """
    return install_fake_distribution(
        site_dir,
        f"fy-{worker_type}",
        entry_points={"flowyard.workers": {worker_type: module}},
        modules={module.replace(".", "/") + ".py": source},
    )
