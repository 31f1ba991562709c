"""Jinja2 expressions in placeholders, evaluated in a locked-down sandbox.

No access to private attributes or Python internals, no file or network access, bounded ``*``
and ``**``. Internal to :mod:`flowyard.templating`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from flowyard.errors import TemplateError, TemplateSecurityError
from flowyard.templating.syntax import NotSet

_MAX_REPEAT = 100_000
"""Items (characters, elements) a ``*`` may build, counting nested sequences' items."""
_MAX_POWER = 100
_MAX_NUMBER_BITS = 4096
"""Operands and results of arithmetic: integers of at most this many bits."""
_MAX_OUTPUT = 1_000_000
"""Characters of one rendered expression's text, and items of one rendered sequence."""
_REFUSED_FILTERS = frozenset({"attr"})
"""``attr`` reads attributes by name (``x|attr('__class__')``): templates only read values."""


def _size(value: Any) -> int:
    """Items in a value, counting one level of nesting (a list of strings counts characters)."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, list | tuple):
        return len(value) + sum(len(v) for v in value if isinstance(v, str | list | tuple))
    return 1


def _check_number(value: Any) -> None:
    from jinja2.exceptions import SecurityError

    if isinstance(value, int) and value.bit_length() > _MAX_NUMBER_BITS:
        raise SecurityError(f"a number larger than {_MAX_NUMBER_BITS} bits")


def _make_sandbox() -> Any:
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class _Sandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+", "-", "//", "%", "/"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            _check_number(left)
            _check_number(right)
            if operator == "**" and isinstance(right, int | float) and abs(right) > _MAX_POWER:
                raise SecurityError(f"exponent {right} is larger than {_MAX_POWER}")
            if (
                operator == "**"
                and isinstance(left, int)
                and isinstance(right, int)
                and left.bit_length() * abs(right) > _MAX_NUMBER_BITS
            ):
                raise SecurityError(f"a power larger than {_MAX_NUMBER_BITS} bits")
            if operator == "*":
                for seq, n in ((left, right), (right, left)):
                    if (
                        isinstance(seq, str | list | tuple)
                        and isinstance(n, int)
                        and _size(seq) * n > _MAX_REPEAT
                    ):
                        raise SecurityError(
                            f"repetition would create more than {_MAX_REPEAT} items"
                        )
            if (
                operator == "+"
                and isinstance(left, str | list | tuple)
                and isinstance(right, str | list | tuple)
                and _size(left) + _size(right) > _MAX_OUTPUT
            ):
                raise SecurityError(f"a value of more than {_MAX_OUTPUT} items")
            result = super().call_binop(context, operator, left, right)
            _check_number(result)
            return result

    env = _Sandbox(autoescape=False)
    for unsafe_global in ("lipsum", "cycler", "joiner", "namespace"):
        env.globals.pop(unsafe_global, None)
    from flowyard.templating.secret_refs import secret_reference

    env.globals["secret"] = secret_reference  # a reference; values are resolved at submit
    return env


@lru_cache(maxsize=1)
def _sandbox() -> Any:
    return _make_sandbox()


def refuse_unsafe(expression: str) -> None:
    """Reject ``x.__class__``, ``x['_y']`` and the ``attr`` filter statically, even when ``x`` is
    undefined: the check a pool's template passes when it is stored, and again when rendered.

    :raises TemplateSecurityError: naming the expression and what it reaches for.
    """
    from jinja2 import nodes

    ast = _sandbox().parse("{{" + expression + "}}")
    for found in ast.find_all(nodes.Filter):
        if found.name in _REFUSED_FILTERS:
            raise TemplateSecurityError(
                f"Template expression '{{{{{expression}}}}}' is not allowed: the filter "
                f"'{found.name}' reads attributes. Templates may only read job variables and "
                "use filters; internals, files and the network are off limits."
            )
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
    refuse_unsafe(expression)
    return compiled


def is_expression(expression: str) -> bool:
    """Whether the text between ``{{`` and ``}}`` parses as a Jinja2 expression."""
    from jinja2 import TemplateSyntaxError

    try:
        _compile(expression)
    except TemplateSyntaxError:
        return False
    except TemplateSecurityError:
        return True  # reported when evaluated
    return True


def evaluate(expression: str, values: Mapping[str, Any]) -> Any:
    """Evaluate one sandboxed expression; returns :data:`NotSet` for an undefined result.

    :raises TemplateSecurityError: the expression tried to reach internals or build huge values.
    :raises TemplateError: the expression failed.
    """
    from jinja2 import Undefined
    from jinja2.exceptions import SecurityError
    from jinja2.exceptions import TemplateError as JinjaError

    try:
        result = _compile(expression)(**values)
        _check_number(result)
        if _size(result) > _MAX_OUTPUT:
            raise SecurityError(f"a value of more than {_MAX_OUTPUT} items")
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


def expression_names(expression: str) -> set[str]:
    """The variables an expression reads (its undeclared names, minus the sandbox's globals).

    :raises jinja2.TemplateSyntaxError: the text is not an expression.
    """
    from jinja2 import meta

    ast = _sandbox().parse("{{" + expression + "}}")
    return set(meta.find_undeclared_variables(ast)) - set(_sandbox().globals)
