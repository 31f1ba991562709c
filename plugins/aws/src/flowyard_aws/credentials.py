"""AWS credentials and boto3 clients for the ``ecs`` type.

By default boto3's own chain applies (environment variables, shared profile, instance or task
role), so a worker running on AWS needs no configuration. Named credentials live in the
**worker's environment**, never in a pool's template, a deployment or a job configuration: the
job variable ``aws_credentials: prod`` makes the worker read ``FLOWYARD_AWS_PROD_ACCESS_KEY_ID``,
``..._SECRET_ACCESS_KEY``, ``..._SESSION_TOKEN``, ``..._REGION``, ``..._ROLE_ARN`` (assume this
role first), ``..._ENDPOINT_URL`` and ``..._PROFILE``. Secret values are held as ``SecretStr`` and
never appear in a repr, a log line or the flow run's environment.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, SecretStr

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_logs import CloudWatchLogsClient

ENV_PREFIX = "FLOWYARD_AWS_"
FIELDS = {
    "ACCESS_KEY_ID": "access_key_id",
    "SECRET_ACCESS_KEY": "secret_access_key",
    "SESSION_TOKEN": "session_token",
    "REGION": "region_name",
    "ROLE_ARN": "role_arn",
    "ENDPOINT_URL": "endpoint_url",
    "PROFILE": "profile_name",
}
ASSUMED_ROLE_SECONDS = 3600
_REFRESH_AFTER = ASSUMED_ROLE_SECONDS * 0.75


class AwsCredentials(BaseModel):
    """One set of AWS credentials; every field optional (empty: boto3's default chain)."""

    model_config = ConfigDict(frozen=True)

    name: str | None = None
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    session_token: SecretStr | None = None
    region_name: str | None = None
    role_arn: str | None = None
    endpoint_url: str | None = None
    profile_name: str | None = None

    def __repr__(self) -> str:
        key = f"{self.access_key_id[:4]}…" if self.access_key_id else None
        return (
            f"AwsCredentials(name={self.name!r}, access_key_id={key!r}, "
            f"region_name={self.region_name!r}, role_arn={self.role_arn!r}, "
            f"endpoint_url={self.endpoint_url!r}, secrets=<redacted>)"
        )

    __str__ = __repr__

    @classmethod
    def named(cls, name: str | None, environ: Mapping[str, str] | None = None) -> AwsCredentials:
        """Credentials called ``name`` from the worker's environment (None: the default chain).

        :raises ValueError: ``name`` is given but no ``FLOWYARD_AWS_<NAME>_*`` variable is set,
            or only one of the access key id and the secret key is.
        """
        if not name:
            return cls()
        environ = os.environ if environ is None else environ
        prefix = env_prefix(name)
        values: dict[str, Any] = {"name": name}
        for suffix, field in FIELDS.items():
            value = environ.get(prefix + suffix)
            if value:
                values[field] = value
        if len(values) == 1:
            raise ValueError(
                f"aws_credentials: no credentials named {name!r} in the worker's environment; "
                f"set {prefix}ACCESS_KEY_ID and {prefix}SECRET_ACCESS_KEY (or {prefix}PROFILE / "
                f"{prefix}ROLE_ARN) where the worker runs, or leave aws_credentials empty to use "
                "boto3's default chain."
            )
        if ("access_key_id" in values) != ("secret_access_key" in values):
            raise ValueError(
                f"aws_credentials: {name!r} needs both {prefix}ACCESS_KEY_ID and "
                f"{prefix}SECRET_ACCESS_KEY."
            )
        return cls(**values)


def env_prefix(name: str) -> str:
    """``prod-eu`` → ``FLOWYARD_AWS_PROD_EU_``."""
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", name).upper() + "_"


class EcsClients:
    """The boto3 clients one ECS job needs, each made on first use (thread-safe; shared).

    Making a client loads its service model (EC2's is large: about a second), so EC2 is only
    loaded when a default VPC must be discovered and CloudWatch Logs only when output is streamed.
    """

    def __init__(self, session: Any, endpoint_url: str | None, region_name: str) -> None:
        self._session = session
        self._endpoint_url = endpoint_url
        self.region_name = region_name
        self._lock = threading.Lock()
        self._made: dict[str, Any] = {}

    def _client(self, service: str) -> Any:
        with self._lock:
            if service not in self._made:
                self._made[service] = self._session.client(service, endpoint_url=self._endpoint_url)
            return self._made[service]

    @property
    def ecs(self) -> ECSClient:
        """The ECS client."""
        client: ECSClient = self._client("ecs")
        return client

    @property
    def ec2(self) -> EC2Client:
        """The EC2 client (default VPC and subnet discovery)."""
        client: EC2Client = self._client("ec2")
        return client

    @property
    def logs(self) -> CloudWatchLogsClient:
        """The CloudWatch Logs client (``stream_output``)."""
        client: CloudWatchLogsClient = self._client("logs")
        return client


def _session(credentials: AwsCredentials, region_name: str | None) -> Any:
    import boto3

    session = boto3.Session(
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=(
            credentials.secret_access_key.get_secret_value()
            if credentials.secret_access_key
            else None
        ),
        aws_session_token=(
            credentials.session_token.get_secret_value() if credentials.session_token else None
        ),
        region_name=region_name or credentials.region_name,
        profile_name=credentials.profile_name,
    )
    if not credentials.role_arn:
        return session
    sts = session.client("sts", endpoint_url=credentials.endpoint_url)
    assumed = sts.assume_role(
        RoleArn=credentials.role_arn,
        RoleSessionName="flowyard-ecs-worker",
        DurationSeconds=ASSUMED_ROLE_SECONDS,
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=assumed["AccessKeyId"],
        aws_secret_access_key=assumed["SecretAccessKey"],
        aws_session_token=assumed["SessionToken"],
        region_name=session.region_name,
    )


_cache: dict[tuple[AwsCredentials, str | None], tuple[float, EcsClients]] = {}
_lock = threading.Lock()


def clients(credentials: AwsCredentials, region_name: str | None) -> EcsClients:
    """ECS, EC2 and CloudWatch Logs clients for these credentials (cached; roles re-assumed)."""
    key = (credentials, region_name)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < _REFRESH_AFTER:
            return cached[1]
        session = _session(credentials, region_name)
        region = session.region_name
        if not region:
            raise ValueError(
                "region_name: no AWS region; set the region_name job variable, AWS_REGION in "
                "the worker's environment, or a region in the named credentials."
            )
        made = EcsClients(session, credentials.endpoint_url, str(region))
        _cache[key] = (time.monotonic(), made)
        return made
