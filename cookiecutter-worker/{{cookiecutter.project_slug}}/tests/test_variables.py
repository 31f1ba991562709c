"""The template flowyard derives from the variables model."""

from __future__ import annotations

from flowyard.job import base_job_template
from flowyard.templating import validate_base_job_template

from {{ cookiecutter.package_name }} import variables


def test_the_template_declares_every_variable_with_a_title_and_description() -> None:
    template = base_job_template(variables.{{ cookiecutter.class_prefix }}Variables)
    validate_base_job_template(template)
    properties = template["variables"]["properties"]
    assert {"name", "env", "labels", "command", "memory_mb"} <= set(properties)
    for name, schema in properties.items():
        assert schema.get("title") and schema.get("description"), name
