"""Jinja2 expressions in placeholders, evaluated in a locked-down sandbox.

No access to private attributes or Python internals, no file or network access, bounded ``*``
and ``**``, bounded sizes, and a wall-clock budget: every operator, attribute or item read,
call, filter and test checks the render's deadline (:func:`render_budget`; the
``template_render_seconds`` setting, 2 s by default), so a template built to run long stops
within one operation of its budget. Internal to :mod:`flowyard.templating`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache, wraps
from typing import Any, cast

from flowyard.errors import TemplateError, TemplateSecurityError
from flowyard.templating.syntax import NotSet

_MAX_REPEAT = 100_000
"""Items (characters, elements) a ``*`` may build, counting nested sequences' items."""
_MAX_POWER = 100
_MAX_NUMBER_BITS = 4096
"""Operands and results of arithmetic: integers of at most this many bits."""
_MAX_OUTPUT = 1_000_000
"""Characters of one rendered expression's text, and items of one rendered sequence."""
_WIDE_FORMAT = re.compile(r"\d{7,}")
"""A width or precision of a million or more in a format string (``'%0999999999d'``)."""
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


_deadline: ContextVar[tuple[float, float] | None] = ContextVar("flowyard_render", default=None)
"""(monotonic deadline, budget seconds) of the render in progress."""


def default_render_seconds() -> float:
    """The ``template_render_seconds`` setting (its documented default when settings fail)."""
    from flowyard import limits

    try:
        from flowyard.settings import get_settings

        return float(get_settings().template_render_seconds)
    except Exception:  # a bad setting must not make every template unrenderable
        return limits.TEMPLATE_RENDER_SECONDS


@contextmanager
def render_budget(seconds: float | None = None) -> Iterator[None]:
    """Give everything rendered inside one wall-clock budget (an enclosing budget wins).

    :param seconds: the budget; default the ``template_render_seconds`` setting.
    """
    if _deadline.get() is not None:
        yield
        return
    budget = default_render_seconds() if seconds is None else seconds
    token = _deadline.set((time.monotonic() + budget, budget))
    try:
        yield
    finally:
        _deadline.reset(token)


def _check_time() -> None:
    from jinja2.exceptions import SecurityError

    current = _deadline.get()
    if current is not None and time.monotonic() > current[0]:
        raise SecurityError(f"rendering took longer than its budget of {current[1]:g} s")


_SIZED = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "indent", "batch", "slice"})
"""Filters and ``str`` methods whose numeric arguments are sizes they allocate."""


def _check_arguments(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Refuse sizes a filter or method would allocate before any result could be checked."""
    from jinja2.exceptions import SecurityError

    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _MAX_OUTPUT:
            raise SecurityError(f"an argument larger than {_MAX_OUTPUT}")


def _check_format(text: Any) -> None:
    from jinja2.exceptions import SecurityError

    if isinstance(text, str) and _WIDE_FORMAT.search(text):
        raise SecurityError(f"a format width or precision of more than {_MAX_OUTPUT}")


def _budgeted(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` (a filter or test) checking the deadline and its arguments' sizes."""

    value_at = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0

    @wraps(function)  # keeps ``jinja_pass_arg`` (pass_context and friends)
    def checked(*args: Any, **kwargs: Any) -> Any:
        _check_time()
        if name in _SIZED:
            _check_arguments(args[value_at + 1 :], kwargs)
        if name == "format" and len(args) > value_at:
            _check_format(args[value_at])
        result = function(*args, **kwargs)
        _check_time()
        return result

    return checked


def _make_sandbox() -> Any:
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class _Sandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+", "-", "//", "%", "/"})
        intercepted_unops = frozenset({"-", "+"})

        def getattr(self, obj: Any, attribute: str) -> Any:
            _check_time()
            return super().getattr(obj, attribute)

        def getitem(self, obj: Any, argument: Any) -> Any:
            _check_time()
            return super().getitem(obj, argument)

        def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
            _check_time()
            return super().call_unop(context, operator, arg)

        def call(
            __self,
            __context: Any,
            __obj: Any,
            *args: Any,
            **kwargs: Any,
        ) -> Any:
            _check_time()
            target = getattr(__obj, "__wrapped__", __obj)  # Jinja wraps ``str.format``
            method = getattr(target, "__name__", "")
            owner = getattr(target, "__self__", None)
            if isinstance(owner, str):
                if method in _SIZED:
                    _check_arguments(args, kwargs)
                if method in {"format", "format_map"}:
                    _check_format(owner)
            result = super().call(__context, __obj, *args, **kwargs)
            _check_time()
            return result

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            _check_time()
            if operator == "%":
                _check_format(left)
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
    env.filters = {name: _budgeted(name, f) for name, f in env.filters.items()}
    env.tests = {
        name: _budgeted(name, cast("Callable[..., Any]", f)) for name, f in env.tests.items()
    }
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
        with render_budget():
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
    except RecursionError as exc:
        raise TemplateError(
            f"Template expression '{{{{{expression[:200]}}}}}' is nested too deeply."
        ) from exc
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
