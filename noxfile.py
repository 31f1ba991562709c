"""nox sessions: lint, typecheck, and each package's tests in its own environment.

`scripts/test` (the README's test command) runs everything in one shared `.venv`; these
sessions check that every distribution also installs and passes on its own.
"""

from __future__ import annotations

import nox

nox.options.sessions = [
    "lint",
    "typecheck",
    "core",
    "process",
    "docker",
    "kubernetes",
    "aws",
    "azure",
    "gcp",
]
PLUGINS = {
    "process": "plugins/process",
    "docker": "plugins/docker",
    "kubernetes": "plugins/kubernetes",
    "aws": "plugins/aws",
    "azure": "plugins/azure",
    "gcp": "plugins/gcp",
}


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over core and plugins."""
    session.install("mypy", "types-croniter", "types-python-dateutil", "types-jsonschema")
    session.install(
        "-e",
        "core",
        "-e",
        "plugins/process",
        "-e",
        "plugins/docker",
        "-e",
        "plugins/kubernetes",
        "-e",
        "plugins/aws",
        "-e",
        "plugins/azure",
        "plugins/gcp",
        "-e",
        "testsupport",
        "boto3-stubs[ecs,ec2,logs,sts]",
    )
    session.run("mypy")


@nox.session
def core(session: nox.Session) -> None:
    """The core distribution's tests, with only core and the default process plugin installed."""
    session.install(
        "-e", "core[postgres]", "-e", "plugins/process", "pytest", "pytest-timeout", "hypothesis"
    )
    session.run("pytest", "core/tests", *session.posargs)


@nox.session(name="process")
def process_plugin(session: nox.Session) -> None:
    """The process plugin's tests in an environment of its own."""
    session.install("-e", "core", "-e", PLUGINS["process"], "pytest", "pytest-timeout")
    session.run("pytest", f"{PLUGINS['process']}/tests", *session.posargs)


@nox.session(name="docker")
def docker_plugin(session: nox.Session) -> None:
    """The docker plugin's tests (needs a Docker engine: scripts/start-dockerd)."""
    session.install(
        "-e", "core", "-e", "plugins/process", "-e", PLUGINS["docker"], "pytest", "pytest-timeout"
    )
    # flowyard_fakes.images only (the local images), so none of the cloud fakes' dependencies
    session.install("--no-deps", "-e", "testsupport")
    session.run("pytest", f"{PLUGINS['docker']}/tests", *session.posargs)


def install_cloud_plugin(session: nox.Session, name: str) -> None:
    """Core, the process and docker plugins (deployment images), the plugin ``name``, the fakes in
    testsupport/ and pytest."""
    session.install(
        "-e", "core", "-e", "plugins/process", "-e", "plugins/docker", "-e", PLUGINS[name],
        "-e", "testsupport", "pytest", "pytest-timeout",
    )  # fmt: skip


@nox.session(name="kubernetes")
def kubernetes_plugin(session: nox.Session) -> None:
    """The kubernetes plugin's tests against the emulator in testsupport/ (needs a Docker engine)."""
    install_cloud_plugin(session, "kubernetes")
    session.run("pytest", f"{PLUGINS['kubernetes']}/tests", "testsupport/tests", *session.posargs)


@nox.session(name="aws")
def aws_plugin(session: nox.Session) -> None:
    """The aws plugin's tests: moto in server mode; the agent needs a Docker engine."""
    install_cloud_plugin(session, "aws")
    session.run("pytest", f"{PLUGINS['aws']}/tests", *session.posargs)


@nox.session(name="azure")
def azure_plugin(session: nox.Session) -> None:
    """The azure plugin's tests against the ACI fake in testsupport/ (needs a Docker engine)."""
    install_cloud_plugin(session, "azure")
    session.run(
        "pytest", f"{PLUGINS['azure']}/tests", "testsupport/tests/test_azure_aci_fake.py",
        *session.posargs,
    )  # fmt: skip


@nox.session(name="gcp")
def gcp_plugin(session: nox.Session) -> None:
    """The gcp plugin's tests against the Cloud Run / Vertex fakes in testsupport/ (needs Docker)."""
    install_cloud_plugin(session, "gcp")
    session.run("pytest", f"{PLUGINS['gcp']}/tests", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmark scripts (figures go to stdout; see bench/README.md)."""
    session.install("-e", "core[postgres]", "-e", "plugins/process")
    session.run("python", "bench/cli_latency.py")
