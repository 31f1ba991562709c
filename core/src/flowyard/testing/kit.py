"""``WorkerTypeConformance``: the checks every worker type must pass, as a test class to subclass.

A worker-type package opts in with two lines (see :mod:`flowyard.testing.conformance`)::

    # conftest.py at the package's rootdir
    pytest_plugins = ["flowyard.testing.conformance"]

    # tests/test_conformance.py
    class TestMyTypeConformance(WorkerTypeConformance):
        worker_type = "my-type"

Checks without infrastructure (hooks called in-process, as the worker calls them):
the template is valid; it renders for its defaults and with each variable overridden (values
generated from the variables' JSON Schema); ``render`` returns a ``BaseJobConfiguration``
subclass that keeps flowyard's env and labels; ``kill`` of an unknown id raises
``InfrastructureNotFound``.

Checks on the type's infrastructure (a real ``flowyard worker start`` against a real server):
a trivial flow reaches COMPLETED with its env inside the infrastructure; while it runs, the
infrastructure carries the run's labels and env (read by the author's ``inspect_infrastructure``);
a failing command ends CRASHED with the exit explained; ``kill`` stops a running job.

A type declares what it cannot do in ``not_supported`` (a :class:`Capability` and the reason);
those checks are skipped with that reason, never faked.
"""

from __future__ import annotations

import enum
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from flowyard.errors import InfrastructureNotFound, InvalidBaseJobTemplate, PluginError
from flowyard.job import BaseJobConfiguration, FlowRunInfo
from flowyard.plugins import TypeHooks, WorkerTypes
from flowyard.templating import build_job_configuration, merge_job_variables
from flowyard.testing.kit_runs import FINAL_STATES, ProbeDeployment
from flowyard.testing.overrides import NoOverrideValue, appears_in, override_values
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer
from flowyard.testing.probe import SLEEPING
from flowyard.testing.worker import WorkerProcess, start_worker

KIT_ENV = "FLOWYARD_CONFORMANCE_TOKEN"
KIT_LABEL = "flowyard-conformance"


class Capability(enum.Enum):
    """What a type's conformance checks may need; a type lists the ones it lacks in ``not_supported``."""

    RUN = "run flows on the type's infrastructure from this test environment"
    OBSERVE = "observe: report how the infrastructure exited"
    KILL = "kill: stop a job's infrastructure"
    INSPECT = "inspect_infrastructure: read labels/env/running of an infrastructure id"


def requires(*capabilities: Capability) -> pytest.MarkDecorator:
    """Mark a check as needing ``capabilities``; it is skipped (before any set-up) without them."""
    return pytest.mark.conformance_requires(*capabilities)


@dataclass(frozen=True)
class InfrastructureView:
    """What the test class can read about one infrastructure id (``None``: not visible there)."""

    running: bool
    labels: Mapping[str, str] | None = None
    env: Mapping[str, str] | None = None


@dataclass
class _Context:
    """One check's live parts: server, worker, probe deployment."""

    server: RunningServer
    worker: WorkerProcess
    probe: ProbeDeployment
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


def _hooks(worker_type: str) -> TypeHooks:
    """The type's hooks, loaded the way the worker loads them; a clear failure when it cannot."""
    try:
        return WorkerTypes().hooks(worker_type)
    except KeyError:
        pytest.fail(
            f"worker type {worker_type!r} is not installed: no entry point named {worker_type!r} "
            "in group 'flowyard.workers' (is the package installed, e.g. `pip install -e .`?)",
            pytrace=False,
        )
    except PluginError as exc:
        pytest.fail(f"worker type {worker_type!r} failed to load: {exc}", pytrace=False)


def _flow_run(worker_type: str) -> FlowRunInfo:
    return FlowRunInfo(
        id=str(uuid.uuid4()),
        name="conformance-otter",
        flow_name="conformance-probe",
        deployment_name="conformance",
        work_pool_name=f"conformance-{worker_type}",
        api_url="http://127.0.0.1:4200/api",
    )


class WorkerTypeConformance:
    """Subclass as ``Test<Type>Conformance`` and set ``worker_type``; see the module docstring.

    Author hooks (override what your type needs):

    - ``job_variables()``: job variables that make a trivial flow run on your infrastructure
      (an image that has flowyard installed, a network, a namespace...).
    - ``override_values()``: values for variables whose schema the kit cannot satisfy with a
      generated value (a ``pattern``, a value your model checks beyond its schema).
    - ``inspect_infrastructure(infrastructure_id)``: read a running or finished infrastructure's
      labels, env and whether it still runs.
    - ``python``: the Python command on the infrastructure (for the failing command).
    """

    worker_type: ClassVar[str]
    not_supported: ClassVar[Mapping[Capability, str]] = {}
    job_model: ClassVar[type[BaseJobConfiguration] | None] = None
    python: ClassVar[str] = "python"
    unknown_infrastructure_id: ClassVar[str] = "flowyard-conformance-no-such-infrastructure"
    run_timeout: ClassVar[float] = 120
    kill_grace_seconds: ClassVar[float] = 2

    # ---- author hooks -------------------------------------------------------------------------

    def job_variables(self) -> dict[str, Any]:
        """Job variables that make a trivial flow run on this type's infrastructure."""
        return {}

    def override_values(self) -> dict[str, Any]:
        """Override values for variables the kit cannot generate from their schema."""
        return {}

    def inspect_infrastructure(self, infrastructure_id: str) -> InfrastructureView:
        """Read an infrastructure's labels, env and running state (declare INSPECT unsupported if not)."""
        raise NotImplementedError

    # ---- helpers ------------------------------------------------------------------------------

    def _require(self, *capabilities: Capability) -> None:
        for capability in capabilities:
            reason = self.not_supported.get(capability)
            if reason is not None:
                pytest.skip(f"{self.worker_type}: no {capability.name} ({reason})")

    @property
    def hooks(self) -> TypeHooks:
        """This type's hooks (a fresh plugin manager, so no other test's state leaks in)."""
        return _hooks(self.worker_type)

    def _template(self) -> dict[str, Any]:
        try:
            return self.hooks.default_base_job_template(validate=False)
        except PluginError as exc:
            pytest.fail(str(exc), pytrace=False)

    def _render(
        self, template: dict[str, Any], overrides: Mapping[str, Any]
    ) -> BaseJobConfiguration:
        configuration = build_job_configuration(template, merge_job_variables(template, overrides))
        try:
            return self.hooks.render(configuration, _flow_run(self.worker_type))
        except PluginError as exc:
            pytest.fail(str(exc), pytrace=False)

    def _assert_stops(self, infrastructure_id: str, when: str, timeout: float = 30) -> None:
        """The infrastructure stops running within ``timeout`` (the engine exits after reporting)."""
        deadline = time.monotonic() + timeout
        while self.inspect_infrastructure(infrastructure_id).running:
            assert time.monotonic() < deadline, (
                f"{infrastructure_id} still runs {timeout:.0f} s {when}"
            )
            time.sleep(0.2)

    # ---- fixtures -----------------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _skip_unsupported(self, request: pytest.FixtureRequest) -> None:
        """Skip a check whose required capability the type lists in ``not_supported``."""
        for mark in request.node.iter_markers("conformance_requires"):
            self._require(*mark.args)

    @pytest.fixture
    def kit(self, server: RunningServer, tmp_path: Path) -> Iterator[_Context]:
        """A server, a ``flowyard worker start --type <type>`` on a fresh pool, the probe deployed."""
        pool = f"conformance-{uuid.uuid4().hex[:8]}"
        worker = start_worker(
            server,
            "--pool",
            pool,
            "--type",
            self.worker_type,
            "--name",
            "conformance-worker",
            log=tmp_path / "worker.log",
            FLOWYARD_WORKER_KILL_GRACE_SECONDS=str(self.kill_grace_seconds),
        )
        try:
            with httpx.Client(base_url=server.api_url, timeout=30) as http:
                probe = ProbeDeployment.create(http, pool, self.job_variables())
                yield _Context(server, worker, probe)
        finally:
            worker.stop()

    # ---- checks without infrastructure --------------------------------------------------------

    def test_declared_capabilities_match_the_hooks(self) -> None:
        """A capability the class claims must have its hook implemented."""
        hooks = self.hooks
        missing = [
            f"{cap.name}: the type implements no {cap.name.lower()} hook"
            for cap in (Capability.OBSERVE, Capability.KILL)
            if cap not in self.not_supported and not hooks.implements(cap.name.lower())
        ]
        if Capability.INSPECT not in self.not_supported:
            overridden = type(self).inspect_infrastructure is not (
                WorkerTypeConformance.inspect_infrastructure
            )
            if not overridden:
                missing.append("INSPECT: the test class does not override inspect_infrastructure")
        assert not missing, (
            "capabilities claimed but not provided (implement them, or list them in "
            "not_supported with the reason):\n  " + "\n  ".join(missing)
        )

    def test_template_is_valid(self) -> None:
        """The default template passes the same validation a pool's template does."""
        from flowyard.templating import validate_base_job_template

        try:
            validate_base_job_template(self._template())
        except InvalidBaseJobTemplate as exc:
            pytest.fail(f"{self.worker_type}'s default base job template: {exc}", pytrace=False)

    def test_template_renders_with_its_defaults(self) -> None:
        """Rendering the template with no job variables gives the type's job model."""
        job = self._render(self._template(), {})
        assert isinstance(job, BaseJobConfiguration), (
            f"render() returned {type(job).__name__}; it must return a subclass of "
            "flowyard.job.BaseJobConfiguration"
        )

    def test_render_returns_the_types_job_model_with_env_and_labels(self) -> None:
        """``render`` returns a ``BaseJobConfiguration`` subclass that keeps env and labels."""
        template = self._template()
        values = merge_job_variables(template, {})
        configuration = build_job_configuration(template, values)
        configuration["env"] = {**(configuration.get("env") or {}), KIT_ENV: "token"}
        configuration["labels"] = {**(configuration.get("labels") or {}), KIT_LABEL: "yes"}
        try:
            job = self.hooks.render(configuration, _flow_run(self.worker_type))
        except PluginError as exc:
            pytest.fail(str(exc), pytrace=False)
        assert isinstance(job, BaseJobConfiguration), (
            f"render() returned {type(job).__name__}; it must return a subclass of "
            "flowyard.job.BaseJobConfiguration"
        )
        if self.job_model is not None:
            assert isinstance(job, self.job_model), (
                f"render() returned {type(job).__name__}, not {self.job_model.__name__}"
            )
        assert job.env.get(KIT_ENV) == "token", f"render() dropped env {KIT_ENV}: {job.env}"
        assert job.labels.get(KIT_LABEL) == "yes", f"render() dropped label {KIT_LABEL}"

    def test_template_renders_with_every_variable_overridden(self) -> None:
        """Each variable, set on its own to a valid non-default value, reaches the rendered job."""
        template = self._template()
        problems: list[str] = []
        values = override_values(template.get("variables") or {}, self.override_values())
        for name, value in values.items():
            if isinstance(value, NoOverrideValue):
                problems.append(f"{name}: {value}; give one in override_values()")
                continue
            configuration = build_job_configuration(
                template, merge_job_variables(template, {name: value})
            )
            if not appears_in(value, configuration):
                problems.append(
                    f"{name}: set to {value!r} but absent from the rendered job_configuration "
                    f"(no placeholder uses it)"
                )
                continue
            try:
                self.hooks.render(configuration, _flow_run(self.worker_type))
            except Exception as exc:
                problems.append(f"{name}={value!r}: render() raised {type(exc).__name__}: {exc}")
        assert not problems, "variables that do not render:\n  " + "\n  ".join(problems)

    @requires(Capability.KILL)
    def test_kill_of_an_unknown_infrastructure_raises_not_found(self) -> None:
        """``kill`` of an id that does not exist raises ``InfrastructureNotFound``."""
        job = self._render(self._template(), {})
        try:
            self.hooks.kill(self.unknown_infrastructure_id, job, self.kill_grace_seconds)
        except InfrastructureNotFound:
            return
        except Exception as exc:
            pytest.fail(
                f"kill({self.unknown_infrastructure_id!r}) raised {type(exc).__name__}: {exc}; "
                "it must raise flowyard.errors.InfrastructureNotFound for an unknown id",
                pytrace=False,
            )
        pytest.fail(
            f"kill({self.unknown_infrastructure_id!r}) returned without raising; it must raise "
            "flowyard.errors.InfrastructureNotFound for an unknown id",
            pytrace=False,
        )

    # ---- checks on the infrastructure ---------------------------------------------------------

    @SQLITE_ONLY
    @requires(Capability.RUN)
    def test_trivial_flow_completes_with_its_env(self, kit: _Context) -> None:
        """A probe run reaches COMPLETED, its infrastructure id recorded, its env seen by the flow."""
        run_id = kit.probe.run(
            parameters={"env_names": [KIT_ENV]}, job_variables={"env": {KIT_ENV: kit.token}}
        )
        run = kit.probe.wait_for(run_id, FINAL_STATES, self.run_timeout)
        assert run["state_type"] == "COMPLETED", (
            f"the probe run ended {run['state_type']}: {run.get('state_message')}\n"
            f"worker output:\n{kit.worker.output()}"
        )
        assert run["infrastructure_id"], "the worker recorded no infrastructure id"
        assert f"env {KIT_ENV}={kit.token}" in kit.probe.logs(run_id), (
            f"the flow did not see {KIT_ENV}={kit.token}; logs:\n{kit.probe.logs(run_id)}"
        )

    @SQLITE_ONLY
    @requires(Capability.RUN, Capability.INSPECT)
    def test_infrastructure_carries_the_runs_labels_and_env(self, kit: _Context) -> None:
        """While a probe runs, its infrastructure shows the run's labels/env; then it stops."""
        run_id = kit.probe.run(
            parameters={"sleep_seconds": 5},
            job_variables={"env": {KIT_ENV: kit.token}, "labels": {KIT_LABEL: kit.token}},
        )
        running = kit.probe.wait_for(run_id, frozenset({"RUNNING"}), self.run_timeout)
        view = self.inspect_infrastructure(running["infrastructure_id"])
        assert view.running, f"{running['infrastructure_id']} is not running while the flow runs"
        assert view.labels is not None or view.env is not None, (
            "inspect_infrastructure() shows neither labels nor env; return what the "
            "infrastructure shows, or list INSPECT in not_supported with the reason"
        )
        if view.labels is not None:
            assert view.labels.get(KIT_LABEL) == kit.token, f"labels on it: {dict(view.labels)}"
            assert view.labels.get("flowyard.flow-run-id") == run_id, dict(view.labels)
        if view.env is not None:
            assert view.env.get(KIT_ENV) == kit.token, f"env on it: {sorted(view.env)}"
        finished = kit.probe.wait_for(run_id, FINAL_STATES, self.run_timeout)
        assert finished["state_type"] == "COMPLETED", finished.get("state_message")
        self._assert_stops(running["infrastructure_id"], "after COMPLETED")

    @SQLITE_ONLY
    @requires(Capability.RUN, Capability.OBSERVE)
    def test_failing_command_ends_crashed_with_the_exit_explained(self, kit: _Context) -> None:
        """A command that exits 3 without reporting a state: the run ends CRASHED, saying why."""
        run_id = kit.probe.run(
            job_variables={"command": f"{self.python} -c 'import sys; sys.exit(3)'"}
        )
        run = kit.probe.wait_for(run_id, FINAL_STATES, self.run_timeout)
        assert run["state_type"] == "CRASHED", (
            f"ended {run['state_type']}: {run.get('state_message')}"
        )
        message = run.get("state_message") or ""
        assert "3" in message, f"the CRASHED message does not explain exit code 3: {message!r}"

    @SQLITE_ONLY
    @requires(Capability.RUN, Capability.KILL)
    def test_kill_stops_a_running_job(self, kit: _Context) -> None:
        """Cancelling a running probe: ``kill`` stops it and the run ends CANCELLED."""
        run_id = kit.probe.run(parameters={"sleep_seconds": 600})
        kit.probe.wait_for(run_id, frozenset({"RUNNING"}), self.run_timeout)
        kit.probe.wait_for_log(run_id, SLEEPING, self.run_timeout)
        kit.probe.cancel(run_id)
        run = kit.probe.wait_for(run_id, FINAL_STATES, self.kill_grace_seconds + 60)
        assert run["state_type"] == "CANCELLED", (
            f"ended {run['state_type']}: {run.get('state_message')}"
        )
        if Capability.INSPECT not in self.not_supported:
            self._assert_stops(run["infrastructure_id"], "after CANCELLED")
