"""Worker-type discovery and dispatch through real entry-point metadata.

Each test writes throwaway distributions (real ``.dist-info`` with ``entry_points.txt``) into a
temporary site directory on ``sys.path``, so ``importlib.metadata`` finds them exactly as it
finds pip-installed packages.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from flowyard.errors import PluginError
from flowyard.job import BaseJobConfiguration, FlowRunInfo, Submission
from flowyard.plugins import WorkerTypes
from flowyard.testing.distributions import install_fake_distribution, install_fake_worker_type

TYPE_MODULE = """
from flowyard.hookspecs import hookimpl
from flowyard.job import BaseJobConfiguration, Submission

class Job(BaseJobConfiguration):
    made_by: str = "{name}"

@hookimpl
def default_base_job_template():
    return {{"job_configuration": {{"image": "{{{{ image }}}}"}},
             "variables": {{"type": "object", "properties": {{"image": {{"type": "string", "default": "{name}:1"}}}}}}}}

@hookimpl
def render(configuration, flow_run):
    return Job(**configuration)

@hookimpl
def submit(job, flow_run):
    return Submission(infrastructure_id="{name}-" + flow_run.id)
"""

WRAPPER_MODULE = """
from flowyard.hookspecs import hookimpl
CALLS = []

@hookimpl(wrapper=True)
def submit(job, flow_run):
    CALLS.append(("before", job.made_by))
    result = yield
    CALLS.append(("after", result.infrastructure_id))
    return result
"""

RUN = FlowRunInfo(id="r1", name="crimson-fox")


def add_type(site: Path, type_name: str, module: str, source: str | None = None) -> None:
    install_fake_worker_type(
        site, type_name, module, TYPE_MODULE.format(name=type_name) if source is None else source
    )


def test_discovery_reads_metadata_without_importing(site: Path) -> None:
    add_type(site, "alpha", "fy_alpha")
    types = WorkerTypes()
    installed = types.installed()
    assert installed["alpha"].distribution == "fy-alpha"
    assert installed["alpha"].module == "fy_alpha"
    assert "fy_alpha" not in sys.modules
    assert "process" in installed  # the real plugin is discovered the same way


def test_each_type_answers_alone(site: Path) -> None:
    add_type(site, "alpha", "fy_alpha")
    add_type(site, "beta", "fy_beta")
    types = WorkerTypes()
    alpha, beta = types.hooks("alpha"), types.hooks("beta")
    assert alpha.render({"image": "x"}, RUN).made_by == "alpha"
    assert beta.render({"image": "x"}, RUN).made_by == "beta"
    assert alpha.submit(alpha.render({}, RUN), RUN).infrastructure_id == "alpha-r1"
    assert (
        types.hooks("alpha").default_base_job_template()["variables"]["properties"]["image"][
            "default"
        ]
        == "alpha:1"
    )
    assert (
        beta.default_base_job_template()["variables"]["properties"]["image"]["default"] == "beta:1"
    )


def test_cross_cutting_wrapper_wraps_every_type(site: Path) -> None:
    add_type(site, "alpha", "fy_alpha")
    add_type(site, "beta", "fy_beta")
    install_fake_distribution(
        site,
        "fy-audit",
        entry_points={"flowyard.plugins": {"audit": "fy_audit"}},
        modules={"fy_audit.py": WRAPPER_MODULE},
    )
    types = WorkerTypes()
    for name in ("alpha", "beta"):
        hooks = types.hooks(name)
        hooks.submit(hooks.render({}, RUN), RUN)
    import fy_audit  # type: ignore[import-not-found]

    assert fy_audit.CALLS == [
        ("before", "alpha"),
        ("after", "alpha-r1"),
        ("before", "beta"),
        ("after", "beta-r1"),
    ]


def test_import_error_names_plugin_and_distribution_and_spares_others(site: Path) -> None:
    add_type(site, "broken", "broken_mod", "raise ImportError('needs libfoo')\n")
    add_type(site, "alpha", "fy_alpha")
    types = WorkerTypes()
    with pytest.raises(PluginError) as info:
        types.hooks("broken")
    message = str(info.value)
    assert "'broken'" in message and "fy-broken" in message and "needs libfoo" in message
    assert types.hooks("alpha").render({}, RUN).made_by == "alpha"


def test_bad_return_type_names_plugin_and_distribution(site: Path) -> None:
    source = TYPE_MODULE.format(name="odd").replace(
        "return Job(**configuration)", 'return {"not": "a model"}'
    )
    source = source.replace(
        'return Submission(infrastructure_id="odd-" + flow_run.id)', 'return "abc"'
    )
    add_type(site, "odd", "fy_odd", source)
    hooks = WorkerTypes().hooks("odd")
    with pytest.raises(
        PluginError, match=r"'odd' \(distribution 'fy-odd'\) returned dict from render\(\)"
    ):
        hooks.render({}, RUN)
    with pytest.raises(PluginError, match="returned str from submit"):
        hooks.submit(None, RUN)


def test_invalid_default_template_is_a_plugin_error(site: Path) -> None:
    source = TYPE_MODULE.format(name="bad").replace('"{{ image }}"', '"{{ undeclared }}"')
    add_type(site, "bad", "fy_bad", source)
    with pytest.raises(PluginError, match=r"(?s)invalid default template.*undeclared"):
        WorkerTypes().hooks("bad").default_base_job_template()


def test_module_without_hooks_is_a_plugin_error(site: Path) -> None:
    add_type(site, "empty", "fy_empty", "X = 1\n")
    with pytest.raises(PluginError, match=r"lacks required hook.*variables_model, render, submit"):
        WorkerTypes().hooks("empty")


def test_unknown_type_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        WorkerTypes().hooks("nope")


def test_optional_hooks_report_absence(site: Path) -> None:
    add_type(site, "alpha", "fy_alpha")
    hooks = WorkerTypes().hooks("alpha")
    assert not hooks.implements("kill")
    with pytest.raises(NotImplementedError, match=r"cannot kill"):
        hooks.kill("x", BaseJobConfiguration(), 1)
    assert hooks.observe(None, Submission(infrastructure_id="x"), RUN) is None


def test_broken_cross_cutting_plugin_is_recorded_not_fatal(site: Path) -> None:
    add_type(site, "alpha", "fy_alpha")
    install_fake_distribution(
        site,
        "fy-badwrap",
        entry_points={"flowyard.plugins": {"badwrap": "fy_badwrap"}},
        modules={"fy_badwrap.py": "raise RuntimeError('boom')\n"},
    )
    types = WorkerTypes()
    assert types.hooks("alpha").render({}, RUN).made_by == "alpha"
    assert "boom" in types.plugin_errors["plugin:badwrap"]
    assert "fy-badwrap" in types.plugin_errors["plugin:badwrap"]
