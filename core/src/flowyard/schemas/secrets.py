"""Secrets: the API shows names, kinds and times, never a value (except to the reveal route)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, Field, SecretStr, field_serializer


class SecretKind(StrEnum):
    """What a secret holds (the cloud types read the kind they expect)."""

    aws = "aws"  # JSON: access key id + secret access key (+ session token), or a role ARN
    gcp = "gcp"  # a Google service account's JSON key
    azure = "azure"  # JSON: tenant id, client id, client secret
    registry = "registry"  # JSON: username, password (registry credentials)
    generic = "generic"  # any text


class SecretCreate(BaseModel):
    """Body of ``POST /secrets``."""

    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    kind: SecretKind = SecretKind.generic
    value: SecretStr = Field(description="The value; stored encrypted, never returned.")

    @field_serializer("value", when_used="json")
    def _send(self, value: SecretStr) -> str:
        """The clear value in a request body (``repr`` and logs still show ``**********``)."""
        return value.get_secret_value()


class SecretRotate(BaseModel):
    """Body of ``PUT /secrets/{name}``: the new value."""

    value: SecretStr

    @field_serializer("value", when_used="json")
    def _send(self, value: SecretStr) -> str:
        """The clear value in a request body (``repr`` and logs still show ``**********``)."""
        return value.get_secret_value()


class Secret(BaseModel):
    """A secret as the API shows it: no value."""

    name: str
    kind: SecretKind
    created: dt.datetime
    rotated: dt.datetime | None = None


class SecretValue(BaseModel):
    """Answer of the reveal routes (admins; workers of a pool whose template names the secret)."""

    name: str
    kind: SecretKind
    value: str
