"""``cookiecutter-worker/`` rendered, installed in a fresh venv and used the way its README says.

The module renders the template, builds wheels of this checkout's ``flowyard`` and
``flowyard-process`` and of the rendered ``flowyard-nomad-batch``, and installs them (with the
package's ``test`` extra: pytest, ruff, mypy) into ONE fresh venv shared by the module's tests.
In that venv the new type is listed, its derived template is printed, its lint/type checks pass
and its own tests run the conformance kit, with the infrastructure checks skipped as TODO.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter
from flowyard.testing.distributions import build_wheel, create_venv

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "cookiecutter-worker"
NAME = "nomad-batch"

pytestmark = pytest.mark.slow


def render(out: Path, name: str, **extra: str) -> Path:
    """Render the template for worker type ``name``; returns the project directory."""
    return Path(
        cookiecutter(
            str(TEMPLATE), no_input=True, output_dir=str(out), extra_context={"name": name, **extra}
        )
    )


def files(project: Path) -> set[str]:
    return {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("render"), NAME, description="Nomad batch jobs.")


@pytest.fixture(scope="module")
def venv_bin(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One fresh venv: this checkout's core and process wheels, the rendered package with [test]."""
    wheels = tmp_path_factory.mktemp("wheels")
    core = build_wheel(ROOT / "core", wheels)
    process = build_wheel(ROOT / "plugins" / "process", wheels)
    rendered = build_wheel(project, wheels)
    return create_venv(
        tmp_path_factory.mktemp("venv") / "env", str(core), str(process), f"{rendered}[test]"
    )


def run(venv_bin: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """A command from the fresh venv (``flowyard``, ``pytest``, ``ruff``, ``mypy``)."""
    return subprocess.run(
        [str(venv_bin / args[0]), *args[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": f"{venv_bin}:/usr/bin:/bin", "HOME": str(venv_bin.parent)},
    )


@pytest.mark.parametrize("name", ["slurm", "nomad-batch", "k8s-gpu2"])
def test_rendering_gives_the_package_file_set(tmp_path: Path, name: str) -> None:
    package = "flowyard_" + name.replace("-", "_")
    project = render(tmp_path, name)
    assert project.name == f"flowyard-{name}"
    assert files(project) == {
        ".github/workflows/ci.yml",
        ".gitignore",
        "README.md",
        "conftest.py",
        "pyproject.toml",
        f"src/{package}/__init__.py",
        f"src/{package}/job.py",
        f"src/{package}/py.typed",
        f"src/{package}/variables.py",
        f"src/{package}/worker.py",
        "tests/test_conformance.py",
        "tests/test_variables.py",
    }
    assert "{{" not in "".join(
        (project / f).read_text() for f in files(project) if not f.startswith(".github")
    )


def test_a_name_that_cannot_be_a_worker_type_is_refused(tmp_path: Path) -> None:
    from cookiecutter.exceptions import FailedHookException

    with pytest.raises(FailedHookException):
        render(tmp_path, "Nomad_Batch")
    assert list(tmp_path.iterdir()) == []


def test_pyproject_declares_the_entry_point_and_the_core_range(project: Path) -> None:
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "flowyard-nomad-batch"
    assert pyproject["project"]["dependencies"] == ["flowyard>=0.1.0,<0.2"]
    entry_points = pyproject["project"]["entry-points"]["flowyard.workers"]
    assert entry_points == {NAME: "flowyard_nomad_batch.worker"}


def test_the_ci_workflow_is_copied_not_rendered(project: Path) -> None:
    copied = (project / ".github/workflows/ci.yml").read_text()
    original = next(TEMPLATE.glob("*/.github/workflows/ci.yml")).read_text()
    assert copied == original
    assert "${{ matrix.python-version }}" in copied


def test_hook_stubs_say_what_to_do(project: Path) -> None:
    worker = (project / "src/flowyard_nomad_batch/worker.py").read_text()
    for hook in ("submit", "observe", "kill"):
        body = worker.split(f"def {hook}(", 1)[1].split("@hookimpl", 1)[0]
        assert 'raise NotImplementedError(\n        "TODO: ' in body, hook


def test_the_new_type_is_listed_by_flowyard_worker_types(venv_bin: Path) -> None:
    listed = run(venv_bin, "flowyard", "worker", "types", "--output", "json")
    assert listed.returncode == 0, listed.stderr
    types = {t["name"]: t for t in json.loads(listed.stdout)}
    assert types[NAME]["installed"] is True
    assert types[NAME]["distribution"] == "flowyard-nomad-batch"
    assert types["process"]["installed"] is True


def test_its_template_is_derived_from_the_variables_model(venv_bin: Path) -> None:
    printed = run(venv_bin, "flowyard", "work-pool", "get-default-base-job-template", "-t", NAME)
    assert printed.returncode == 0, printed.stderr
    template = json.loads(printed.stdout)
    memory = template["variables"]["properties"]["memory_mb"]
    assert memory["title"] == "Memory (MiB)"
    assert {"type": "integer", "minimum": 16} in memory["anyOf"]
    assert template["job_configuration"]["memory_mb"] == "{{ memory_mb }}"


def test_the_rendered_package_is_ruff_and_mypy_strict_clean(venv_bin: Path, project: Path) -> None:
    for command in (("ruff", "check", "."), ("ruff", "format", "--check", "."), ("mypy",)):
        result = run(venv_bin, *command, cwd=project)
        assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}{result.stderr}"


def test_its_tests_run_the_kit_with_infrastructure_checks_skipped_as_todo(
    venv_bin: Path, project: Path
) -> None:
    result = run(venv_bin, "pytest", "-rs", "-p", "no:cacheprovider", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|skipped|failed)", summary)}
    assert counts == {"passed": 6, "skipped": 5}, summary
    skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 5 and all("TODO: implement" in line for line in skipped), skipped
    assert any("no RUN (TODO: implement submit() in worker.py" in line for line in skipped)
