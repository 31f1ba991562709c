"""Base-job-template rendering, validation and job-variable merging.

Plain placeholders (``{{ name }}``, ``{{ a.b[1] }}``, ``{{ $ENV }}``) follow the semantics written
down in ``docs/templating.md``:

* a string that is exactly one plain placeholder is replaced by the value *with its type*;
* placeholders embedded in a longer string are interpolated with Python ``str()``;
* a missing whole value removes its dict key or list item (the top level returns :data:`NotSet`);
  a missing embedded value becomes ``""``;
* dict keys are never templated, and inserted values are never templated again (single pass).

Anything else between ``{{`` and ``}}`` that is a valid Jinja2 expression
(``{{ name | lower }}``, ``{{ cpu | default(1) }}``) is evaluated in a sandbox: no access to
private attributes or Python internals, no file or network access, bounded ``*``/``**``.
Whole-value expressions keep their native type. Text that is neither (``{{ x y }}``) is left
verbatim; :func:`validate_base_job_template` reports it as an error.

Modules: ``syntax`` (the placeholder grammar and lookups), ``sandbox`` (Jinja2 expressions),
``render`` (:func:`apply_values`), ``merge`` (job-variable layers), ``validation`` (JSON Schema
checks). Import from this package; the modules are internal.
"""

from __future__ import annotations

from flowyard.templating.merge import build_job_configuration, merge_job_variables
from flowyard.templating.render import apply_values, find_placeholders
from flowyard.templating.syntax import NotSet, Placeholder
from flowyard.templating.validation import validate_base_job_template, validate_job_variables

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
