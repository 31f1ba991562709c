"""Validation of base job templates and job variables (JSON Schema Draft 2020-12).

Every problem is reported at once, one :class:`~flowyard.errors.FieldError` each, sorted by field
then message. :func:`validate_base_job_template` checks in three stages, each only when the one
before found nothing: the template's shape; then the ``variables`` schema and the placeholders of
``job_configuration``; then the defaults. Import the public names from :mod:`flowyard.templating`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flowyard.errors import (
    FieldError,
    InvalidBaseJobTemplate,
    InvalidJobVariables,
    TemplateSecurityError,
)
from flowyard.templating.merge import expand_dotted
from flowyard.templating.sandbox import expression_names, refuse_unsafe
from flowyard.templating.syntax import ANY, PLAIN, root_name, walk_strings

_SUMMARY = "Invalid base job template"
_PARTS = ("job_configuration", "variables")


# --------------------------------------------------------------------------- error helpers


def json_path(parts: Iterable[Any]) -> str:
    """``["env", "A", 0]`` -> ``env.A[0]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def join_path(prefix: str, path: str) -> str:
    """Append ``path`` to ``prefix`` (``a`` + ``b`` -> ``a.b``; ``a`` + ``[0]`` -> ``a[0]``)."""
    if not prefix:
        return path
    return f"{prefix}.{path}" if path and not path.startswith("[") else prefix + path


def _describe(error: Any) -> str:
    message: str = error.message
    if error.validator in ("anyOf", "oneOf") and error.context:
        reasons = sorted({sub.message for sub in error.context})
        message += " (" + "; ".join(reasons) + ")"
    return message


def schema_errors(schema: Mapping[str, Any], instance: Any, prefix: str = "") -> list[FieldError]:
    """Every way ``instance`` breaks ``schema``, each named by its path under ``prefix``."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [
        FieldError(join_path(prefix, json_path(err.absolute_path)), _describe(err))
        for err in validator.iter_errors(instance)
    ]


def sorted_unique(errors: Iterable[FieldError]) -> list[FieldError]:
    """Errors without repeats, by field then message (the order every report uses)."""
    return sorted(set(errors), key=lambda e: (e.field, e.message))


# --------------------------------------------------------------------------- base job template


def shape_errors(template: Mapping[str, Any]) -> list[FieldError]:
    """Stage 1: only ``job_configuration`` and ``variables``, both present, both objects."""
    errors = [
        FieldError(
            key, "unknown key; a base job template has only 'job_configuration' and 'variables'"
        )
        for key in sorted(set(template) - set(_PARTS))
    ]
    for key in _PARTS:
        value = template.get(key)
        if not value:
            errors.append(
                FieldError(
                    key,
                    "is required: a base job template needs both "
                    "'job_configuration' and 'variables'",
                )
            )
        elif not isinstance(value, Mapping):
            errors.append(FieldError(key, f"must be a JSON object, not {type(value).__name__}"))
    return errors


def variables_schema_errors(variables: Mapping[str, Any]) -> list[FieldError]:
    """Stage 2a: ``variables`` is a valid Draft 2020-12 schema of ``type: object``."""
    from jsonschema import Draft202012Validator

    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
    errors = [
        FieldError(
            join_path("variables", json_path(err.absolute_path)),
            f"invalid JSON Schema: {err.message}",
        )
        for err in meta.iter_errors(dict(variables))
    ]
    if variables.get("type", "object") != "object":
        errors.append(FieldError("variables.type", "must be 'object'"))
    return errors


def declared_properties(variables: Mapping[str, Any]) -> Mapping[str, Any]:
    """``variables.properties``, or nothing when it is not an object."""
    properties = variables.get("properties", {})
    return properties if isinstance(properties, Mapping) else {}


def span_names(path: str, raw: str, inner: str) -> set[str] | FieldError:
    """The variables one ``{{ ... }}`` span reads, or the error when it is not valid syntax."""
    from jinja2 import TemplateSyntaxError

    plain = PLAIN.fullmatch(raw)
    if plain:
        return {root_name(plain.group(1))}
    try:
        names = expression_names(inner)
        refuse_unsafe(inner)
    except TemplateSyntaxError as exc:
        return FieldError(path, f"'{raw}' is not a valid placeholder or expression: {exc.message}")
    except TemplateSecurityError as exc:
        return FieldError(path, str(exc))
    return names


def placeholder_errors(
    job_configuration: Mapping[str, Any], properties: Mapping[str, Any]
) -> list[FieldError]:
    """Stage 2b: every span parses and reads only variables declared in ``properties``."""
    errors: list[FieldError] = []
    for path, text in walk_strings(job_configuration, "job_configuration"):
        for match in ANY.finditer(text):
            names = span_names(path, match.group(0), match.group(1))
            if isinstance(names, FieldError):
                errors.append(names)
                continue
            errors.extend(
                FieldError(
                    path,
                    f"uses undeclared variable '{name}'; add it to "
                    "variables.properties or remove the placeholder",
                )
                for name in sorted(names - set(properties))
            )
    return errors


def default_errors(variables: Mapping[str, Any], properties: Mapping[str, Any]) -> list[FieldError]:
    """Stage 3: every non-null ``default`` satisfies the schema (``required`` is not checked)."""
    schema = {k: v for k, v in variables.items() if k != "required"}
    defaults = {
        name: prop["default"]
        for name, prop in properties.items()
        if isinstance(prop, Mapping) and prop.get("default") is not None
    }
    return [
        FieldError(
            f"variables.properties.{err.field}.default" if err.field else "variables",
            f"invalid default: {err.message}",
        )
        for err in schema_errors(schema, defaults)
    ]


def validate_base_job_template(template: Any) -> None:
    """Check a work pool's base job template; raise every problem at once.

    ``{}`` is valid (a pool with no template). Otherwise the template needs a
    ``job_configuration`` object and a ``variables`` JSON Schema (Draft 2020-12) object; every
    placeholder in ``job_configuration`` must be declared in ``variables.properties``; every
    expression must parse; every non-null ``default`` must satisfy its property's schema.

    :raises InvalidBaseJobTemplate: with one :class:`~flowyard.errors.FieldError` per problem,
        sorted by field then message.
    """
    if not isinstance(template, Mapping):
        raise InvalidBaseJobTemplate(
            _SUMMARY, [FieldError("", "the base job template must be a JSON object")]
        )
    if not template:
        return
    errors = shape_errors(template)
    if errors:
        raise InvalidBaseJobTemplate(_SUMMARY, sorted_unique(errors))
    variables: Mapping[str, Any] = template["variables"]
    properties = declared_properties(variables)
    errors = variables_schema_errors(variables) + placeholder_errors(
        template["job_configuration"], properties
    )
    if not errors:
        errors = default_errors(variables, properties)
    if errors:
        raise InvalidBaseJobTemplate(_SUMMARY, sorted_unique(errors))


# --------------------------------------------------------------------------- job variables


def without_defaulted_nones(
    instance: Mapping[str, Any], properties: Mapping[str, Any]
) -> dict[str, Any]:
    """Drop ``None`` values of properties that have a default (``None`` means "use it")."""
    return {
        k: v
        for k, v in instance.items()
        if not (v is None and isinstance(properties.get(k), Mapping) and "default" in properties[k])
    }


def validate_job_variables(
    template: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    ignore_required: bool = True,
    allow_none_with_default: bool = True,
) -> None:
    """Check job variables against a base job template's ``variables`` schema.

    Unknown variables are accepted (the schema decides, as in Prefect). Dotted keys
    (``env.FOO``) are expanded before validation.

    :param ignore_required: skip ``required`` (deployments may leave values to the flow run).
    :param allow_none_with_default: ``None`` for a property that has a default means "use the
        default" and is not an error.
    :raises InvalidJobVariables: one error per field, in a stable order.
    """
    variables = template.get("variables") if template else None
    if not variables:
        return
    schema = dict(variables)
    if ignore_required:
        schema.pop("required", None)
    instance = expand_dotted(values)
    if allow_none_with_default:
        instance = without_defaulted_nones(instance, schema.get("properties", {}))
    errors = schema_errors(schema, instance)
    if errors:
        raise InvalidJobVariables("Invalid job variables", sorted_unique(errors))
