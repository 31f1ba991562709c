"""The bounds of every stored value, declared once.

``flowyard.server.models`` (the table models) takes its column lengths and field bounds from
here and the API schemas (``flowyard.schemas``) take their validation bounds from here, so a
value the API accepts always fits its column on SQLite and PostgreSQL. The reasons for each bound are in
``docs/limits.md``.
"""

from __future__ import annotations

INT32_MAX = 2**31 - 1
"""PostgreSQL ``integer`` columns hold at most this (SQLite holds 2**63 - 1)."""

# ---------------------------------------------------------------- string columns (characters)
ID_LENGTH = 36
NAME_LENGTH = 200
TYPE_LENGTH = 100
STATE_TYPE_LENGTH = 20
STATE_NAME_LENGTH = 100
ENTRYPOINT_LENGTH = 500
PATH_LENGTH = 1000
INFRASTRUCTURE_ID_LENGTH = 500
IDEMPOTENCY_KEY_LENGTH = 500
ROLE_LENGTH = 20
KEY_HASH_LENGTH = 64

# ---------------------------------------------------------------- text without a column length
DESCRIPTION_LENGTH = 10_000
MESSAGE_LENGTH = 100_000
"""A state message or one log line."""
TAG_LENGTH = 200
PATH_PARAMETER_LENGTH = 1_000
"""A name or id in a URL path."""

# ---------------------------------------------------------------- numbers
COUNT_MAX = 1_000_000
"""Concurrency limits, run limits and queue priorities (far below ``INT32_MAX``, so the
``priority + 1`` of a re-sequencing never overflows)."""
LOG_LEVEL_MAX = 100
SECONDS_MAX = 86_400.0
"""Intervals a worker or claim states about itself: a heartbeat interval, a lease, a wait."""
PREVIEW_HOURS_MAX = 24.0 * 366
PREVIEW_LIMIT_DEFAULT = 100
PREVIEW_LIMIT_MAX = 1_000
"""Runs one ``GET /api/work_pools/{pool}/preview`` answers (the earliest first)."""
SCHEDULE_INTERVAL_MIN = 1.0
SCHEDULE_INTERVAL_MAX = 10 * 366 * 86_400.0
OFFSET_MAX = 10_000_000

# ---------------------------------------------------------------- JSON documents and lists
JSON_DEPTH_MAX = 32
"""Nesting of parameters, job variables, labels, templates and parameter schemas."""
JSON_NODES_MAX = 100_000
"""Values (objects, arrays, scalars) in one JSON document."""
JSON_INT_MAX = 2**63 - 1
"""Integers inside JSON documents: a signed 64-bit integer."""
LIST_MAX = 1_000
"""Ids in a filter, held runs in a claim or heartbeat, tags of a run, schedules."""
LOG_BATCH_MAX = 10_000
"""Log lines in one ``POST /api/logs``."""
BULK_CREATE_MAX = 500
"""Runs one ``POST /api/deployments/{id}/runs/bulk`` may create (one transaction)."""
BODY_BYTES_DEFAULT = 4 * 1024 * 1024
"""Default of the ``server_max_body_bytes`` setting."""

# ---------------------------------------------------------------- templates
TEMPLATE_RENDER_SECONDS = 2.0
"""Default of the ``template_render_seconds`` setting: the wall-clock budget of one render."""
