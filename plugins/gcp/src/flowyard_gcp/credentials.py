"""How the gcp worker types authenticate: application default credentials, or a named key.

A service-account key is only ever *referenced* (a file path or the name of an environment
variable on the worker), so the key itself never lands in a job configuration, a log line or a
flow run's environment.
"""

from __future__ import annotations

import json
import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class GcpCredentials(BaseModel):
    """Which Google credentials the worker uses to call Cloud Run / Vertex AI."""

    model_config = ConfigDict(extra="forbid")

    service_account_file: str | None = Field(
        default=None,
        title="Service Account File",
        description="Path, on the worker, of a service-account JSON key. Null: application "
        "default credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud, the metadata server).",
    )
    service_account_info_env: str | None = Field(
        default=None,
        title="Service Account Info Variable",
        description="Name of an environment variable, on the worker, holding a service-account "
        "JSON key (the key itself never appears in the pool's template).",
    )
    service_account_info: SecretStr | None = Field(
        default=None,
        title="Service Account Info",
        description="A service-account JSON key itself. Only ever set from a secret of the "
        "server's store (`{{ secret('<name>') }}` as the whole credentials value, resolved in "
        "memory by whoever submits); never write a key into a template.",
    )
    project: str | None = Field(
        default=None,
        title="Project",
        description="Project id; defaults to the key's project_id or the ADC project.",
    )
    anonymous: bool = Field(
        default=False,
        title="Anonymous",
        description="Send no credentials at all: only for a local emulator of the APIs.",
    )


def from_secret(value: Any) -> Any:
    """The credentials a resolved secret (kind gcp) holds: a service-account JSON key, or the
    JSON of these fields. Other values pass through unchanged.

    :raises ValueError: an unresolved reference, or a secret that is not JSON (the message never
        shows the value).
    """
    if not isinstance(value, str):
        return value
    if value.startswith("flowyard-secret://"):
        raise ValueError(
            "credentials: the secret reference was not resolved; secrets are resolved by the "
            "server (push pools) or a worker whose pool's template names them"
        )
    try:
        parsed = json.loads(value)
    except ValueError:
        raise ValueError("credentials: the secret does not hold JSON") from None
    if isinstance(parsed, dict) and parsed.get("type") == "service_account":
        return {"service_account_info": value}
    return parsed


def resolve(credentials: GcpCredentials | None, project: str | None) -> tuple[Any, str]:
    """The google-auth credentials object and the project id to use.

    :raises ValueError: no project can be determined, or the key reference is unusable (the
        message names the field, never the key's content).
    """
    creds = credentials or GcpCredentials()
    chosen_project = project or creds.project
    if creds.anonymous:
        from google.auth.credentials import AnonymousCredentials

        auth: Any = AnonymousCredentials()  # type: ignore[no-untyped-call]
        found_project: str | None = None
    elif creds.service_account_file or creds.service_account_info_env or creds.service_account_info:
        from google.oauth2 import service_account

        info = _key_info(creds)
        auth = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            info, scopes=["https://www.googleapis.com/auth/cloud-platform"]
        )
        found_project = info.get("project_id")
    else:
        import google.auth

        auth, found_project = google.auth.default(
            scopes=["https://www.googleapis.com/auth/cloud-platform"]
        )
    final = chosen_project or found_project
    if not final:
        raise ValueError(
            "project is not set: set the 'project' variable (or credentials.project), or use "
            "credentials whose key or ADC names a project"
        )
    return auth, final


def _key_info(creds: GcpCredentials) -> dict[str, Any]:
    raw: str | None
    if creds.service_account_info is not None:
        raw = creds.service_account_info.get_secret_value()
        where = "secret"
    elif creds.service_account_info_env:
        raw = os.environ.get(creds.service_account_info_env)
        if raw is None:
            raise ValueError(
                f"credentials.service_account_info_env: the worker has no environment variable "
                f"{creds.service_account_info_env!r}; set it to the service-account JSON key"
            )
        where = f"environment variable {creds.service_account_info_env!r}"
    else:
        path = str(creds.service_account_file)
        try:
            with open(path, encoding="utf-8") as handle:
                raw = handle.read()
        except OSError as exc:
            raise ValueError(
                f"credentials.service_account_file: cannot read {path!r} on the worker "
                f"({exc.strerror})"
            ) from None
        where = f"file {path!r}"
    try:
        info = json.loads(raw)
    except ValueError:
        raise ValueError(
            f"credentials: the {where} does not hold a JSON service-account key"
        ) from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise ValueError(f"credentials: the {where} is not a service-account key")
    return info
