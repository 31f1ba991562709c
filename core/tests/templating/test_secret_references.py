"""``{{ secret('name') }}`` renders to a reference; the value is swapped in only at submit."""

from __future__ import annotations

import pytest
from flowyard.templating import build_job_configuration, validate_base_job_template
from flowyard.templating.secret_refs import referenced_names, resolve, secret_reference

TEMPLATE = {
    "job_configuration": {
        "env": {"TOKEN": "{{ secret('api-token') }}", "URL": "https://x/{{ secret('path') }}"},
        "command": "{{ command }}",
    },
    "variables": {"type": "object", "properties": {"command": {"type": "string"}}},
}


def test_a_template_may_call_secret_without_declaring_it() -> None:
    validate_base_job_template(TEMPLATE)


def test_rendering_yields_references_not_values() -> None:
    configuration = build_job_configuration(TEMPLATE, {"command": "go"})
    assert configuration["env"]["TOKEN"] == "flowyard-secret://api-token"
    assert referenced_names(configuration) == {"api-token", "path"}


def test_resolve_swaps_each_reference_for_its_value() -> None:
    configuration = build_job_configuration(TEMPLATE, {"command": "go"})
    values = {"api-token": "s3cr3t", "path": "p"}
    resolved = resolve(configuration, values.__getitem__)
    assert resolved["env"] == {"TOKEN": "s3cr3t", "URL": "https://x/p"}
    assert configuration["env"]["TOKEN"] == "flowyard-secret://api-token"  # a copy


def test_a_bad_secret_name_is_refused_with_the_rule() -> None:
    with pytest.raises(ValueError, match="letters, digits"):
        secret_reference("../etc")
