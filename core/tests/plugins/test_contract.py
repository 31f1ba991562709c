"""The plugin contract: the template from a variables model, and the checks made when a type loads.

Types are real installed distributions (``.dist-info`` with entry points) in a temporary site
directory, found by ``importlib.metadata`` as pip-installed ones are.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from flowyard import hookspecs
from flowyard.errors import PluginError
from flowyard.job import FlowRunInfo
from flowyard.plugins import WorkerTypes, hook_names
from flowyard.testing.distributions import install_fake_distribution, install_fake_worker_type

RUN = FlowRunInfo(id="r1", name="quiet-heron")

COMPLETE = """
from pydantic import Field
from flowyard.hookspecs import hookimpl
from flowyard.job import BaseJobConfiguration, BaseVariables, Submission

class Variables(BaseVariables):
    image: str = Field(default="x:1", title="Image", description="Image to run.")

@hookimpl
def variables_model():
    return Variables

@hookimpl
def render(configuration, flow_run):
    return BaseJobConfiguration(**configuration)

@hookimpl
def submit(job, flow_run):
    return Submission(infrastructure_id="id-" + flow_run.id)
"""


def test_the_hooks_come_from_the_hookspecs_module() -> None:
    assert hook_names() == (
        "variables_model",
        "default_base_job_template",
        "render",
        "submit",
        "observe",
        "kill",
        "reattach",
        "lookup",
        "build_image",
    )


@pytest.mark.parametrize("hook", hook_names())
def test_each_hook_says_whether_it_is_required(hook: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    required = hook in hookspecs.REQUIRED_HOOKS or hook in hookspecs.TEMPLATE_HOOKS
    assert doc.startswith("Required" if required else "Optional"), doc.splitlines()[0]


def test_a_complete_type_loads(site: Path) -> None:
    install_fake_worker_type(site, "complete", "fy_complete", COMPLETE)
    assert WorkerTypes().hooks("complete").implements("submit")


def test_the_template_is_derived_from_the_variables_model(site: Path) -> None:
    install_fake_worker_type(site, "modelled", "fy_modelled", COMPLETE)
    hooks = WorkerTypes().hooks("modelled")
    template = hooks.default_base_job_template()
    assert template["job_configuration"]["image"] == "{{ image }}"
    image = template["variables"]["properties"]["image"]
    assert (image["default"], image["title"], image["description"]) == (
        "x:1",
        "Image",
        "Image to run.",
    )
    assert hooks.variables_model() is not None


def test_a_hand_written_template_wins_over_the_model(site: Path) -> None:
    hand_written = """
@hookimpl
def default_base_job_template():
    return {"job_configuration": {"image": "{{ image }}"},
            "variables": {"type": "object", "properties": {"image": {"type": "string", "default": "hand:1"}}}}
"""
    install_fake_worker_type(site, "both", "fy_both", COMPLETE + hand_written)
    template = WorkerTypes().hooks("both").default_base_job_template()
    assert template["variables"]["properties"]["image"] == {"type": "string", "default": "hand:1"}


def test_a_variables_model_that_is_not_a_model_is_a_plugin_error(site: Path) -> None:
    source = COMPLETE.replace("    return Variables", "    return {'image': 'x'}")
    install_fake_worker_type(site, "notmodel", "fy_notmodel", source)
    with pytest.raises(PluginError, match=r"variables_model\(\); expected a subclass"):
        WorkerTypes().hooks("notmodel").default_base_job_template()


def test_a_misspelt_hook_fails_at_load_naming_it(site: Path) -> None:
    install_fake_worker_type(
        site, "typo", "fy_typo", COMPLETE.replace("def submit(", "def sumbit(")
    )
    with pytest.raises(PluginError) as info:
        WorkerTypes().hooks("typo")
    message = str(info.value)
    assert "'typo'" in message and "fy-typo" in message
    assert "unknown hook(s) 'sumbit' (did you mean 'submit'?)" in message


def test_an_extra_unknown_hook_fails_even_when_the_required_ones_exist(site: Path) -> None:
    extra = "\n@hookimpl\ndef cleanup(job):\n    pass\n"
    install_fake_worker_type(site, "extra", "fy_extra", COMPLETE + extra)
    with pytest.raises(PluginError, match=r"unknown hook\(s\) 'cleanup'; the hooks are"):
        WorkerTypes().hooks("extra")


def test_a_hook_with_an_argument_the_spec_lacks_fails_at_load(site: Path) -> None:
    source = COMPLETE.replace("def submit(job, flow_run):", "def submit(job, flow_run, retries):")
    install_fake_worker_type(site, "args", "fy_args", source)
    with pytest.raises(PluginError, match=r"(?s)'args' \(distribution 'fy-args'\).*'retries'"):
        WorkerTypes().hooks("args")


@pytest.mark.parametrize("missing", ["render", "submit"])
def test_a_missing_required_hook_fails_at_load_naming_it(site: Path, missing: str) -> None:
    source = COMPLETE.replace(f"def {missing}(", f"def _{missing}(")
    install_fake_worker_type(site, "partial", "fy_partial", source)
    with pytest.raises(PluginError) as info:
        WorkerTypes().hooks("partial")
    assert f"lacks required hook(s): {missing} " in str(info.value)
    assert "fy-partial" in str(info.value)


def test_a_type_without_a_template_hook_fails_at_load(site: Path) -> None:
    source = COMPLETE.replace("def variables_model(", "def _variables_model(")
    install_fake_worker_type(site, "untemplated", "fy_untemplated", source)
    with pytest.raises(
        PluginError, match=r"lacks required hook\(s\): default_base_job_template or variables_model"
    ):
        WorkerTypes().hooks("untemplated")


def test_a_type_that_failed_the_check_does_not_answer_for_others(site: Path) -> None:
    install_fake_worker_type(
        site, "typo", "fy_typo", COMPLETE.replace("def submit(", "def sumbit(")
    )
    install_fake_worker_type(site, "complete", "fy_complete", COMPLETE)
    types = WorkerTypes()
    with pytest.raises(PluginError):
        types.hooks("typo")
    assert not types.plugin_manager.has_plugin("worker:typo")
    assert types.hooks("complete").render({}, RUN).name is None


def test_a_cross_cutting_plugin_with_an_unknown_hook_is_recorded_and_skipped(site: Path) -> None:
    install_fake_worker_type(site, "complete", "fy_complete", COMPLETE)
    install_fake_distribution(
        site,
        "fy-audit",
        entry_points={"flowyard.plugins": {"audit": "fy_audit"}},
        modules={
            "fy_audit.py": "from flowyard.hookspecs import hookimpl\n"
            "@hookimpl(wrapper=True)\ndef submitt(job, flow_run):\n    return (yield)\n"
        },
    )
    types = WorkerTypes()
    assert types.hooks("complete").implements("submit")
    assert "unknown hook(s) 'submitt'" in types.plugin_errors["plugin:audit"]
    assert "fy-audit" in types.plugin_errors["plugin:audit"]
    assert not types.plugin_manager.has_plugin("plugin:audit")


def test_an_optional_hookimpl_with_an_unknown_name_is_allowed(site: Path) -> None:
    optional = "\n@hookimpl(optionalhook=True)\ndef future_hook():\n    return 1\n"
    install_fake_worker_type(site, "forward", "fy_forward", COMPLETE + optional)
    assert WorkerTypes().hooks("forward").implements("render")
