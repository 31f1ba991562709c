"""Override values generated from a variables JSON Schema: valid, and different from the default."""

from __future__ import annotations

import jsonschema
import pytest
from flowyard.job import BaseVariables, base_job_template
from flowyard.testing.overrides import NoOverrideValue, appears_in, override_value, override_values
from pydantic import Field


class Variables(BaseVariables):
    replicas: int = Field(default=1, ge=1, le=10, title="Replicas", description="Copies.")
    cpu: float = Field(default=0.5, gt=0, le=4, title="CPU", description="Cores.")
    spot: bool = Field(default=False, title="Spot", description="Use spot capacity.")
    zones: list[str] = Field(default_factory=list, title="Zones", description="Zones.")


def test_every_generated_override_satisfies_its_schema_and_differs_from_the_default() -> None:
    variables = base_job_template(Variables)["variables"]
    values = override_values(variables, {})
    for name, value in values.items():
        schema = variables["properties"][name]
        assert not isinstance(value, NoOverrideValue), name
        jsonschema.validate(value, {**schema, "$defs": variables.get("$defs", {})})
        assert value != schema.get("default"), name


def test_bounds_that_leave_only_the_default_cannot_be_overridden() -> None:
    with pytest.raises(NoOverrideValue, match="within its bounds"):
        override_value(
            "replicas", {"type": "integer", "default": 1, "minimum": 1, "maximum": 1}, {}
        )


def test_enums_pick_another_member_and_examples_win() -> None:
    assert override_value("p", {"enum": ["Always", "Never"], "default": "Always"}, {}) == "Never"
    assert (
        override_value("v", {"type": "string", "pattern": "^a", "examples": ["abc"]}, {}) == "abc"
    )


def test_a_pattern_without_examples_asks_for_a_value() -> None:
    values = override_values({"properties": {"arn": {"type": "string", "pattern": "^arn:"}}}, {})
    assert isinstance(values["arn"], NoOverrideValue)
    assert "pattern" in str(values["arn"])
    assert override_values({"properties": {"arn": {"type": "string"}}}, {"arn": "x"}) == {
        "arn": "x"
    }


def test_values_are_found_inside_rendered_configurations() -> None:
    rendered = {"spec": {"image": "kit-image:1", "env": {"A": "1", "K": "v"}, "n": 3}}
    assert appears_in("kit-image", rendered)
    assert appears_in({"K": "v"}, rendered)
    assert appears_in(3, rendered)
    assert not appears_in({"K": "w"}, rendered)
