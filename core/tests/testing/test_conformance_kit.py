"""The conformance kit, run by pytester against small worker types installed for real.

A correct minimal type (processes, a variables model) passes every check; each broken variant
fails the one check that names its defect. Types are real distributions with entry points in a
temporary site directory; ``PYTHONPATH`` carries it to the pytest run (a subprocess, so each run
imports the server afresh) and to its ``flowyard worker start``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flowyard.testing.distributions import install_fake_worker_type

GOOD = """
import os
import signal
import subprocess
import sys

from flowyard.errors import InfrastructureNotFound
from flowyard.hookspecs import hookimpl
from flowyard.job import BaseJobConfiguration, BaseVariables, ExitStatus, Submission
from pydantic import Field


class Variables(BaseVariables):
    nice: int = Field(default=0, ge=0, le=19, title="Nice", description="Process niceness.")


class Job(BaseJobConfiguration):
    nice: int = 0

#TEMPLATE
@hookimpl
def variables_model():
    return Variables

#RENDER
@hookimpl
def render(configuration, flow_run):
    return Job.model_validate(configuration)

#SUBMIT
@hookimpl
def submit(job, flow_run):
    argv = job.command_argv() or [sys.executable, "-m", "flowyard.engine"]
    env = {**os.environ, **{k: v for k, v in job.env.items() if v is not None}}
    process = subprocess.Popen(argv, env=env, start_new_session=True)
    return Submission(infrastructure_id=str(process.pid), handle=process)


@hookimpl
def observe(job, submission, flow_run):
    code = submission.handle.wait()
    return ExitStatus(code=code, reason=None if code == 0 else f"exited with code {code}")

#KILL
@hookimpl
def kill(infrastructure_id, job, grace_seconds):
    if not infrastructure_id.isdigit():
        raise InfrastructureNotFound(f"{infrastructure_id!r} is not a pid")
    try:
        os.killpg(int(infrastructure_id), signal.SIGTERM)
    except ProcessLookupError:
        raise InfrastructureNotFound(f"process {infrastructure_id} is gone") from None
#END
"""

TEST_MODULE = """
import os
import sys

from flowyard.testing.conformance import Capability, InfrastructureView, WorkerTypeConformance


class TestKitConformance(WorkerTypeConformance):
    worker_type = "{type_name}"
    python = sys.executable
    not_supported = {not_supported}

    def inspect_infrastructure(self, infrastructure_id):
        try:
            os.kill(int(infrastructure_id), 0)
            state = open(f"/proc/{{infrastructure_id}}/stat").read().rsplit(")", 1)[1].split()[0]
        except (OSError, ProcessLookupError):
            return InfrastructureView(running=False)
        raw = open(f"/proc/{{infrastructure_id}}/environ", "rb").read().split(b"\\0")
        env = dict(i.decode().split("=", 1) for i in raw if b"=" in i)
        return InfrastructureView(running=state != "Z", env=env)
"""


def replace_section(source: str, section: str, replacement: str) -> str:
    """Swap one ``#SECTION`` block of the good type for broken code."""
    start = source.index(f"#{section}\n")
    end = source.index("\n#", start + 1)
    return source[:start] + replacement + source[end:]


def with_template(job_configuration: dict[str, Any], properties: dict[str, Any]) -> str:
    """The good type with a hand-written template instead of its variables model."""
    template = {
        "job_configuration": job_configuration,
        "variables": {"type": "object", "properties": properties},
    }
    hook = f"@hookimpl\ndef default_base_job_template():\n    return {template!r}\n"
    return replace_section(GOOD, "TEMPLATE", hook)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A site directory for the kit's types, visible in-process and to worker subprocesses."""
    site_dir = tmp_path / "site"
    monkeypatch.setenv("PYTHONPATH", str(site_dir))
    yield site_dir
    if str(site_dir) in sys.path:
        sys.path.remove(str(site_dir))


def run_kit(
    pytester: pytest.Pytester,
    site: Path,
    type_name: str,
    source: str,
    *args: str,
    not_supported: str = "{}",
) -> pytest.RunResult:
    """Install ``source`` as worker type ``type_name`` and run the kit's checks on it."""
    install_fake_worker_type(site, type_name, f"kit_{type_name}", source)
    pytester.makeconftest('pytest_plugins = ["flowyard.testing.conformance"]')
    pytester.makepyfile(
        test_kit=TEST_MODULE.format(type_name=type_name, not_supported=not_supported)
    )
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs", *args)


def test_a_correct_type_passes_every_check(pytester: pytest.Pytester, site: Path) -> None:
    result = run_kit(pytester, site, "good", GOOD)
    result.assert_outcomes(passed=10)


BROKEN = {
    "render returns a dict": (
        replace_section(
            GOOD,
            "RENDER",
            "@hookimpl\ndef render(configuration, flow_run):\n    return configuration",
        ),
        "render",
        3,
        "*returned dict from render(); expected a subclass of flowyard.job.BaseJobConfiguration*",
    ),
    "submit raises": (
        replace_section(
            GOOD,
            "SUBMIT",
            "@hookimpl\ndef submit(job, flow_run):\n    raise RuntimeError('no capacity in zone kit-1')",
        ),
        "trivial_flow",
        1,
        "*the probe run ended CRASHED:*no capacity in zone kit-1*",
    ),
    "kill of an unknown id returns None": (
        replace_section(
            GOOD,
            "KILL",
            "@hookimpl\ndef kill(infrastructure_id, job, grace_seconds):\n    return None",
        ),
        "unknown",
        1,
        "*kill('flowyard-conformance-no-such-infrastructure') returned without raising; "
        "it must raise flowyard.errors.InfrastructureNotFound*",
    ),
    "a placeholder names an undeclared variable": (
        with_template(
            {"command": "{{ command }}", "zone": "{{ zone }}"}, {"command": {"type": "string"}}
        ),
        "template_is_valid",
        1,
        "*job_configuration.zone: uses undeclared variable 'zone'*",
    ),
    "no placeholder uses a variable": (
        with_template(
            {"command": "{{ command }}"},
            {"command": {"type": "string", "default": "true"}, "zone": {"type": "string"}},
        ),
        "every_variable",
        1,
        "*zone: set to 'kit-zone' but absent from the rendered job_configuration*",
    ),
    "kill claimed but not implemented": (
        replace_section(GOOD, "KILL", ""),
        "capabilities",
        1,
        "*KILL: the type implements no kill hook*",
    ),
}


@pytest.mark.parametrize("defect", list(BROKEN))
def test_a_broken_type_fails_the_check_that_names_its_defect(
    pytester: pytest.Pytester, site: Path, defect: str
) -> None:
    source, checks, failures, message = BROKEN[defect]
    type_name = "broken" + str(list(BROKEN).index(defect))
    result = run_kit(pytester, site, type_name, source, "-k", checks)
    result.assert_outcomes(failed=failures)
    result.stdout.fnmatch_lines([message])


def test_an_unsupported_capability_is_skipped_with_its_reason(
    pytester: pytest.Pytester, site: Path
) -> None:
    no_kill = replace_section(GOOD, "KILL", "")
    result = run_kit(
        pytester,
        site,
        "nokillskipped",
        no_kill,
        "-k",
        "kill or capabilities",
        not_supported="{Capability.KILL: 'the batch system cannot cancel jobs'}",
    )
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(
        ["*SKIPPED*nokillskipped: no KILL (the batch system cannot cancel jobs)*"]
    )
