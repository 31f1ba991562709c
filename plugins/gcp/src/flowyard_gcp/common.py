"""What both gcp types share: GCP label and resource-name rules, client options, the engine."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

ENGINE_COMMAND = ["python", "-m", "flowyard.engine"]
_LABEL_CHARS = re.compile(r"[^a-z0-9_-]+")
_NAME_CHARS = re.compile(r"[^a-z0-9-]+")


def gcp_labels(*sources: dict[str, str]) -> dict[str, str]:
    """Labels valid on GCP: keys and values lowercase ``[a-z0-9_-]`` (dots and slashes become
    ``-``), ≤63 characters, keys starting with a letter, at most 64; later sources win."""
    out: dict[str, str] = {}
    for source in sources:
        for key, value in source.items():
            k = _LABEL_CHARS.sub("-", key.lower())[:63].strip("-")
            if not k:
                continue
            if not k[0].isalpha():
                k = ("l-" + k)[:63]
            out[k] = _LABEL_CHARS.sub("-", str(value).lower())[:63]
    return dict(list(out.items())[:64])


def resource_id(name: str | None, limit: int = 55, key: str | None = None) -> str:
    """A resource id: the name slugged (lowercase ``[a-z0-9-]``, starting with a letter,
    ≤``limit``) plus ``-`` and 7 hex characters: derived from ``key`` (a flow run id: the same
    run always gets the same id, so a second submit finds the first one's job), else random."""
    slug = _NAME_CHARS.sub("-", (name or "").lower()).strip("-")
    if not slug or not slug[0].isalpha():
        slug = ("flowyard-" + slug).strip("-")
    suffix = hashlib.sha256(key.encode()).hexdigest()[:7] if key else uuid.uuid4().hex[:7]
    return f"{slug[:limit].strip('-')}-{suffix}"


def env_list(env: dict[str, str | None]) -> list[dict[str, str]]:
    """A container's env as the APIs take it: ``[{name, value}]``; ``None`` values dropped."""
    return [{"name": k, "value": v} for k, v in env.items() if v is not None]


def client_options(api_endpoint: str | None, default: str | None = None) -> dict[str, Any]:
    """``client_options`` for a google-cloud client: the configured endpoint, else ``default``."""
    endpoint = api_endpoint or default
    return {"api_endpoint": endpoint} if endpoint else {}
