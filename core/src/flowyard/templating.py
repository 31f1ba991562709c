"""Base-job-template rendering, validation and job-variable merging.

Plain placeholders (``{{ name }}``, ``{{ a.b[1] }}``, ``{{ $ENV }}``) follow the reference
semantics exactly (see ``docs/architecture.md``):

* a string that is exactly one plain placeholder is replaced by the value *with its type*;
* placeholders embedded in a longer string are interpolated with Python ``str()``;
* a missing whole value removes its dict key or list item (the top level returns :data:`NotSet`);
  a missing embedded value becomes ``""``;
* dict keys are never templated, and inserted values are never templated again (single pass).

Anything else between ``{{`` and ``}}`` that is a valid Jinja2 expression
(``{{ name | lower }}``, ``{{ cpu | default(1) }}``) is evaluated in a sandbox: no access to
private attributes or Python internals, no file or network access, bounded ``*``/``**``.
Whole-value expressions keep their native type. Text that is neither (``{{ x y }}``) is left
verbatim, as the reference does; :func:`validate_base_job_template` reports it as an error.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from flowyard.errors import (
    FieldError,
    InvalidBaseJobTemplate,
    InvalidJobVariables,
    TemplateError,
    TemplateSecurityError,
)

__all__ = [
    "NotSet",
    "Placeholder",
    "apply_values",
    "build_job_configuration",
    "find_placeholders",
    "merge_job_variables",
    "validate_base_job_template",
    "validate_job_variables",
]


class _NotSetType:
    """Sentinel for "no value": a missing whole-value placeholder at the top level."""

    _instance: _NotSetType | None = None

    def __new__(cls) -> _NotSetType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NotSet"

    def __bool__(self) -> bool:
        return False


NotSet: Final = _NotSetType()

_PLAIN = re.compile(r"\{\{\s*([\w.\-\[\]$]+)\s*\}\}")
_ANY = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_PATH_PART = re.compile(r"[^.\[\]]+")
_MAX_REPEAT = 100_000
_MAX_POWER = 100


@dataclass(frozen=True, order=True)
class Placeholder:
    """One ``{{ ... }}`` occurrence: ``kind`` is ``standard``, ``env_var`` or ``expression``."""

    name: str
    kind: str


# --------------------------------------------------------------------------- sandbox


def _make_sandbox() -> Any:
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class _Sandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "**" and isinstance(right, int | float) and abs(right) > _MAX_POWER:
                raise SecurityError(f"exponent {right} is larger than {_MAX_POWER}")
            if operator == "*":
                for seq, n in ((left, right), (right, left)):
                    if (
                        isinstance(seq, str | list | tuple)
                        and isinstance(n, int)
                        and len(seq) * n > _MAX_REPEAT
                    ):
                        raise SecurityError(
                            f"repetition would create more than {_MAX_REPEAT} items"
                        )
            return super().call_binop(context, operator, left, right)

    env = _Sandbox(autoescape=False)
    for unsafe_global in ("lipsum", "cycler", "joiner", "namespace"):
        env.globals.pop(unsafe_global, None)
    return env


@lru_cache(maxsize=1)
def _sandbox() -> Any:
    return _make_sandbox()


def _refuse_private_access(expression: str) -> None:
    """Reject ``x.__class__`` / ``x['_y']`` statically, even when ``x`` is undefined."""
    from jinja2 import nodes

    ast = _sandbox().parse("{{" + expression + "}}")
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        name = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if isinstance(name, str) and name.startswith("_"):
            raise TemplateSecurityError(
                f"Template expression '{{{{{expression}}}}}' is not allowed: it reads the private "
                f"attribute {name!r}. Templates may only read job variables and use filters; "
                "internals, files and the network are off limits."
            )


@lru_cache(maxsize=2048)
def _compile(expression: str) -> Any:
    """Compile a Jinja expression; raises ``jinja2.TemplateSyntaxError`` when it is not one."""
    compiled = _sandbox().compile_expression(expression, undefined_to_none=False)
    _refuse_private_access(expression)
    return compiled


def _is_expression(expression: str) -> bool:
    from jinja2 import TemplateSyntaxError

    try:
        _compile(expression)
    except TemplateSyntaxError:
        return False
    except TemplateSecurityError:
        return True  # reported when evaluated
    return True


def _evaluate(expression: str, values: Mapping[str, Any]) -> Any:
    """Evaluate one sandboxed expression; returns :data:`NotSet` for an undefined result."""
    from jinja2 import Undefined
    from jinja2.exceptions import SecurityError
    from jinja2.exceptions import TemplateError as JinjaError

    try:
        result = _compile(expression)(**values)
        if isinstance(result, Undefined):
            unsafe = getattr(result, "_undefined_exception", None)
            if isinstance(unsafe, type) and issubclass(unsafe, SecurityError):
                raise SecurityError(getattr(result, "_undefined_hint", "unsafe access"))
            return NotSet
        return result
    except SecurityError as exc:
        raise TemplateSecurityError(
            f"Template expression '{{{{{expression}}}}}' is not allowed: {exc}. Templates may "
            "only read job variables and use filters; internals, files and the network are off limits."
        ) from exc
    except JinjaError as exc:
        raise TemplateError(f"Template expression '{{{{{expression}}}}}' failed: {exc}") from exc
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise TemplateError(
            f"Template expression '{{{{{expression}}}}}' failed: {type(exc).__name__}: {exc}"
        ) from exc


# --------------------------------------------------------------------------- lookups


def _lookup(values: Any, path: str) -> Any:
    """Resolve ``a.b[1]`` / ``a.b.1`` in ``values``; :data:`NotSet` when any step is missing."""
    current = values
    for part in _PATH_PART.findall(path):
        try:
            if isinstance(current, Mapping):
                if part in current:
                    current = current[part]
                    continue
                as_int = int(part)
                if str(as_int) != part:
                    return NotSet
                current = current[as_int]
            elif isinstance(current, list | tuple):
                as_int = int(part)
                if str(as_int) != part:
                    return NotSet
                current = current[as_int]
            else:
                return NotSet
        except (KeyError, IndexError, TypeError, ValueError):
            return NotSet
    return current


def _plain_value(name: str, values: Mapping[str, Any]) -> Any:
    if name.startswith("$"):
        return os.environ.get(name[1:], NotSet)
    return _lookup(values, name)


# --------------------------------------------------------------------------- apply_values


def _skipped(name: str, skip_prefixes: Iterable[str] | None) -> bool:
    return bool(skip_prefixes) and any(name.startswith(p) for p in skip_prefixes or ())


def _render_string(
    text: str, values: Mapping[str, Any], remove_notset: bool, skip_prefixes: Iterable[str] | None
) -> Any:
    whole = _PLAIN.fullmatch(text)
    if whole and not whole.group(1).startswith("$"):
        name = whole.group(1)
        if _skipped(name, skip_prefixes):
            return text
        value = _plain_value(name, values)
        if value is NotSet and not remove_notset:
            return text
        return value
    spans = list(_ANY.finditer(text))
    if not spans:
        return text
    if len(spans) == 1 and spans[0].span() == (0, len(text)) and not _PLAIN.fullmatch(text):
        expression = spans[0].group(1)
        if _is_expression(expression):
            value = _evaluate(expression, values)
            if value is NotSet and not remove_notset:
                return text
            return value
    out: list[str] = []
    last = 0
    for match in spans:
        out.append(text[last : match.start()])
        last = match.end()
        raw = match.group(0)
        plain = _PLAIN.fullmatch(raw)
        if plain:
            name = plain.group(1)
            value = NotSet if _skipped(name, skip_prefixes) else _plain_value(name, values)
            if _skipped(name, skip_prefixes) or (value is NotSet and not remove_notset):
                out.append(raw)
            else:
                out.append("" if value is NotSet else str(value))
        elif _is_expression(match.group(1)):
            value = _evaluate(match.group(1), values)
            out.append(
                raw
                if value is NotSet and not remove_notset
                else ("" if value is NotSet else str(value))
            )
        else:
            out.append(raw)
    out.append(text[last:])
    return "".join(out)


def apply_values(
    template: Any,
    values: Mapping[str, Any],
    remove_notset: bool = True,
    skip_prefixes: Iterable[str] | None = None,
) -> Any:
    """Fill ``{{ placeholders }}`` in ``template`` (dicts, lists, strings, scalars) from ``values``.

    :param template: JSON-like data; dict keys are never templated.
    :param values: job variables, looked up by dotted/indexed path.
    :param remove_notset: drop dict keys / list items whose whole-value placeholder is missing
        (and turn missing embedded ones into ``""``); when ``False`` leave the placeholder text.
    :param skip_prefixes: placeholder names starting with any of these are left untouched.
    :returns: a new structure; :data:`NotSet` when ``template`` itself is a missing placeholder.
    :raises TemplateSecurityError: an expression tried to reach internals or build huge values.
    :raises TemplateError: an expression failed to evaluate.
    :raises ValueError: ``template`` contains a type that is not JSON-like.
    """
    if isinstance(template, str):
        return _render_string(template, values, remove_notset, skip_prefixes)
    if template is None or isinstance(template, bool | int | float):
        return template
    if isinstance(template, Mapping):
        out: dict[Any, Any] = {}
        for key, item in template.items():
            rendered = apply_values(item, values, remove_notset, skip_prefixes)
            if rendered is not NotSet:
                out[key] = rendered
        return out
    if isinstance(template, list | tuple):
        items = (apply_values(item, values, remove_notset, skip_prefixes) for item in template)
        return [item for item in items if item is not NotSet]
    raise ValueError(f"Unexpected template type {type(template).__name__}")


def _walk_strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, Mapping):
        for key, item in node.items():
            yield from _walk_strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list | tuple):
        for index, item in enumerate(node):
            yield from _walk_strings(item, f"{path}[{index}]")


def find_placeholders(template: Any) -> list[Placeholder]:
    """Every distinct placeholder in ``template``, sorted by (name, kind).

    Plain names are ``standard`` (or ``env_var`` when they start with ``$``); valid Jinja
    expressions are ``expression`` with their source text as ``name``.
    """
    found: set[Placeholder] = set()
    for _, text in _walk_strings(template):
        for match in _ANY.finditer(text):
            plain = _PLAIN.fullmatch(match.group(0))
            if plain:
                name = plain.group(1)
                found.add(Placeholder(name, "env_var" if name.startswith("$") else "standard"))
            elif _is_expression(match.group(1)):
                found.add(Placeholder(match.group(1).strip(), "expression"))
    return sorted(found)


# --------------------------------------------------------------------------- validation


def _root_name(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _expression_names(expression: str) -> set[str]:
    from jinja2 import meta

    ast = _sandbox().parse("{{" + expression + "}}")
    return set(meta.find_undeclared_variables(ast)) - set(_sandbox().globals)


def _json_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _describe(error: Any) -> str:
    message: str = error.message
    if error.validator in ("anyOf", "oneOf") and error.context:
        reasons = sorted({sub.message for sub in error.context})
        message += " (" + "; ".join(reasons) + ")"
    return message


def _schema_errors(schema: Mapping[str, Any], instance: Any, prefix: str) -> list[FieldError]:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [
        FieldError(_join(prefix, _json_path(err.absolute_path)), _describe(err))
        for err in validator.iter_errors(instance)
    ]
    return errors


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    return f"{prefix}.{path}" if path and not path.startswith("[") else prefix + path


def _sorted_unique(errors: Iterable[FieldError]) -> list[FieldError]:
    return sorted(set(errors), key=lambda e: (e.field, e.message))


def validate_base_job_template(template: Any) -> None:
    """Check a work pool's base job template; raise every problem at once.

    ``{}`` is valid (a pool with no template). Otherwise the template needs a
    ``job_configuration`` object and a ``variables`` JSON Schema (Draft 2020-12) object; every
    placeholder in ``job_configuration`` must be declared in ``variables.properties``; every
    expression must parse; every non-null ``default`` must satisfy its property's schema.

    :raises InvalidBaseJobTemplate: with one :class:`~flowyard.errors.FieldError` per problem,
        sorted by field then message.
    """
    from jsonschema import Draft202012Validator

    summary = "Invalid base job template"
    if not isinstance(template, Mapping):
        raise InvalidBaseJobTemplate(
            summary, [FieldError("", "the base job template must be a JSON object")]
        )
    if not template:
        return
    errors: list[FieldError] = []
    for key in sorted(set(template) - {"job_configuration", "variables"}):
        errors.append(
            FieldError(
                key, "unknown key; a base job template has only 'job_configuration' and 'variables'"
            )
        )
    job_configuration = template.get("job_configuration")
    variables = template.get("variables")
    for key, value in (("job_configuration", job_configuration), ("variables", variables)):
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
    if errors:
        raise InvalidBaseJobTemplate(summary, _sorted_unique(errors))
    assert isinstance(variables, Mapping) and isinstance(job_configuration, Mapping)

    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
    for err in meta.iter_errors(dict(variables)):
        errors.append(
            FieldError(
                _join("variables", _json_path(err.absolute_path)),
                f"invalid JSON Schema: {err.message}",
            )
        )
    if variables.get("type", "object") != "object":
        errors.append(FieldError("variables.type", "must be 'object'"))
    properties = variables.get("properties", {})
    if not isinstance(properties, Mapping):
        properties = {}

    for path, text in _walk_strings(job_configuration, "job_configuration"):
        for match in _ANY.finditer(text):
            plain = _PLAIN.fullmatch(match.group(0))
            if plain:
                names = {_root_name(plain.group(1))}
            else:
                from jinja2 import TemplateSyntaxError

                try:
                    names = _expression_names(match.group(1))
                except TemplateSyntaxError as exc:
                    errors.append(
                        FieldError(
                            path,
                            f"'{match.group(0)}' is not a valid placeholder "
                            f"or expression: {exc.message}",
                        )
                    )
                    continue
            for name in sorted(names - set(properties)):
                errors.append(
                    FieldError(
                        path,
                        f"uses undeclared variable '{name}'; add it to "
                        "variables.properties or remove the placeholder",
                    )
                )

    if not errors:
        schema = {k: v for k, v in variables.items() if k != "required"}
        defaults = {
            name: prop["default"]
            for name, prop in properties.items()
            if isinstance(prop, Mapping) and prop.get("default") is not None
        }
        for err in _schema_errors(schema, defaults, ""):
            field = f"variables.properties.{err.field}.default" if err.field else "variables"
            errors.append(FieldError(field, f"invalid default: {err.message}"))
    if errors:
        raise InvalidBaseJobTemplate(summary, _sorted_unique(errors))


def validate_job_variables(
    template: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    ignore_required: bool = True,
    allow_none_with_default: bool = True,
) -> None:
    """Check job variables against a base job template's ``variables`` schema.

    Unknown variables are accepted (the schema decides, as with the reference). Dotted keys
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
    instance = _expand_dotted(values)
    properties = schema.get("properties", {})
    if allow_none_with_default:
        instance = {
            k: v
            for k, v in instance.items()
            if not (
                v is None and isinstance(properties.get(k), Mapping) and "default" in properties[k]
            )
        }
    errors = _schema_errors(schema, instance, "")
    if errors:
        raise InvalidJobVariables("Invalid job variables", _sorted_unique(errors))


# --------------------------------------------------------------------------- merging


def _expand_dotted(values: Mapping[str, Any], declared: Iterable[str] = ()) -> dict[str, Any]:
    """``{"env.FOO": 1, "env": {"X": 2}}`` -> ``{"env": {"FOO": 1, "X": 2}}`` (nested form wins)."""
    declared = set(declared)
    nested: dict[str, Any] = {}
    dotted: dict[str, Any] = {}
    for key, value in values.items():
        if "." in key and key not in declared:
            head, _, rest = key.partition(".")
            target = dotted.setdefault(head, {})
            if isinstance(target, dict):
                _set_path(target, rest.split("."), value)
        else:
            nested[key] = value
    for key, value in dotted.items():
        if isinstance(nested.get(key), Mapping):
            nested[key] = _deep_merge(value, nested[key])
        elif key not in nested:
            nested[key] = value
    return nested


def _set_path(target: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        child = target.get(part)
        if not isinstance(child, dict):
            child = target[part] = {}
        target = child
    target[parts[-1]] = value


def _deep_merge(base: Any, override: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _deep_merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


_PER_KEY_BY_DEFAULT = frozenset({"env", "labels"})


def _strategy(name: str, prop: Any) -> str:
    declared = prop.get("x-merge") if isinstance(prop, Mapping) else None
    if declared in {"deep", "keys", "replace"}:
        return str(declared)
    return "keys" if name in _PER_KEY_BY_DEFAULT else "replace"


def merge_job_variables(
    template: Mapping[str, Any], *layers: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Merge job variables: schema defaults < each layer in order (pool < deployment < flow run).

    ``env`` and ``labels`` merge per key; a property may declare ``"x-merge": "deep"`` (recursive
    merge), ``"keys"`` (one level) or ``"replace"``. Null defaults are skipped so that their
    placeholders stay missing. Dotted keys (``env.FOO``) are expanded within each layer.
    """
    variables = (template or {}).get("variables") or {}
    properties: Mapping[str, Any] = variables.get("properties") or {}
    merged: dict[str, Any] = {
        name: copy.deepcopy(prop["default"])
        for name, prop in properties.items()
        if isinstance(prop, Mapping) and prop.get("default") is not None
    }
    for layer in layers:
        for key, value in _expand_dotted(layer or {}, properties).items():
            strategy = _strategy(key, properties.get(key))
            current = merged.get(key)
            if strategy == "keys" and isinstance(current, Mapping) and isinstance(value, Mapping):
                merged[key] = {**current, **copy.deepcopy(dict(value))}
            elif strategy == "deep":
                merged[key] = _deep_merge(current, value) if key in merged else copy.deepcopy(value)
            else:
                merged[key] = copy.deepcopy(value)
    return merged


def build_job_configuration(
    template: Mapping[str, Any], values: Mapping[str, Any]
) -> dict[str, Any]:
    """Render a base job template's ``job_configuration`` with merged job variables.

    A literal ``env``/``labels`` object in ``job_configuration`` (a hard-coded pool env) is kept
    and the merged variable of the same name is layered on top per key, as the reference does.
    """
    job_configuration = copy.deepcopy(dict((template or {}).get("job_configuration") or {}))
    for key in _PER_KEY_BY_DEFAULT:
        literal = job_configuration.get(key)
        if isinstance(literal, Mapping) and isinstance(values.get(key), Mapping):
            job_configuration[key] = {**literal, **values[key]}
    rendered = apply_values(job_configuration, values)
    return rendered if isinstance(rendered, dict) else {}
