"""Settings (pydantic-settings, environment prefix ``FLOWYARD_``)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class LeaseExpiryPolicy(StrEnum):
    """What happens to a PENDING run whose claim lease expired (its worker died)."""

    reschedule = "reschedule"
    crash = "crash"


class Settings(BaseSettings):
    """Every knob, read from ``FLOWYARD_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="FLOWYARD_", extra="ignore")

    home: Path = Field(
        default=Path("~/.flowyard"), description="Where the embedded database lives."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default SQLite in home."
    )
    api_url: str = Field(default="http://127.0.0.1:4200/api", description="Server API base URL.")
    api_key: str | None = Field(default=None, description="API key sent as a bearer token.")

    server_host: str = "127.0.0.1"
    server_port: int = Field(default=4200, ge=1, le=65535)
    server_docker_bridge: bool = Field(
        default=True,
        description=(
            "When bound to loopback, also listen on the Docker bridge's address (docker0), so "
            "containers reach the server as host.docker.internal."
        ),
    )
    server_auth: bool = Field(default=False, description="Require API keys on every request.")
    server_services: bool = Field(default=True, description="Run scheduler/liveness/lease loops.")
    server_migrate_on_start: bool = Field(
        default=True,
        description="Migrate the database when the server starts; turn off with several "
        "replicas and run `flowyard server migrate` once instead.",
    )
    server_loop_seconds: float = Field(default=2.0, description="Interval of the service loops.")
    server_claim_lease_seconds: float = Field(default=60.0, gt=0)
    server_lease_expiry_policy: LeaseExpiryPolicy = LeaseExpiryPolicy.reschedule
    server_late_after_seconds: float = 15.0
    server_worker_offline_multiple: float = 3.0
    server_max_claim_wait_seconds: float = 30.0
    server_scheduler_min_runs: int = 3
    server_scheduler_horizon_seconds: float = 3600.0
    server_scheduler_max_runs: int = 100
    server_max_body_bytes: int = Field(
        default=4 * 1024 * 1024,
        ge=1024,
        description="Largest request body the server reads (413 above it).",
    )
    server_running_lease_seconds: float | None = Field(
        default=300.0,
        gt=0,
        description="A claimed RUNNING run whose worker stops renewing it (held_run_ids in its "
        "heartbeats and claims) for this long is marked CRASHED, freeing its slot; unset: never.",
    )
    server_transaction_attempts: int = Field(
        default=5,
        ge=1,
        le=20,
        description="Times an API request's transaction is run when the database aborts it "
        "for a deadlock or serialization failure (PostgreSQL 40P01/40001) or 'database is "
        "locked' (SQLite); each retry is logged. 1: no retry.",
    )
    template_render_seconds: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="Wall-clock budget of rendering one job template (every placeholder of it); "
        "the sandbox checks it at each operation, filter and call, and refuses the template "
        "once it is spent.",
    )
    server_ui: bool = Field(default=True, description="Serve the web UI at / (and /docs).")
    server_ui_secret: str | None = Field(
        default=None,
        description="Signs UI session cookies; set it when several replicas serve the UI "
        "(default: a random secret per process, so sessions end on restart).",
    )

    engine_outage_seconds: float = Field(
        default=120.0,
        ge=0,
        description="How long a flow run's engine retries a server it cannot reach (and, "
        "when the flow ends during an outage, waits to ship its buffered log lines).",
    )
    engine_log_buffer_lines: int = Field(
        default=10_000,
        ge=1,
        le=1_000_000,
        description="Log lines a flow run's engine keeps while the server cannot take them; "
        "beyond it the oldest waiting lines are dropped and a stored WARNING line counts them.",
    )

    server_secrets_key: SecretStr | None = Field(
        default=None,
        description="Fernet key (urlsafe base64, 32 bytes) encrypting the secrets store; "
        "generate one with `flowyard secret generate-key`. Without it the server refuses secret writes.",
    )
    server_secrets_key_file: Path | None = Field(
        default=None,
        description="A file holding the secrets store's key (instead of the variable).",
    )

    server_push: bool = Field(
        default=True,
        description="Serve push pools (types ending in ':push'): this replica claims and submits "
        "their runs itself (needs server_services).",
    )
    server_push_api_url: str | None = Field(
        default=None,
        description="The API URL push-pool runs use to reach the server, also used by the "
        "replica's own submitter (default: http://127.0.0.1:<server_port>/api).",
    )
    server_replica_name: str | None = Field(
        default=None,
        description="This replica's stable name; its push submitters are workers "
        "'push@<name>' (default: <hostname>-<server_port>). Keep it across restarts so a "
        "restarted replica re-attaches to the runs it had submitted.",
    )

    server_run_token_key: SecretStr | None = Field(
        default=None,
        description="HMAC key of flow-run tokens (default: a random key stored in the database).",
    )
    server_run_token_seconds: float = Field(
        default=12 * 3600.0, gt=0, description="Lifetime of a flow run's token."
    )

    worker_heartbeat_seconds: float = Field(default=30.0, gt=0)
    worker_query_seconds: float = Field(default=10.0, gt=0, description="Long-poll ceiling.")
    worker_prefetch_seconds: float = Field(default=10.0, ge=0)
    worker_healthcheck_port: int = 8080
    worker_healthcheck_host: str = Field(
        default="0.0.0.0", description="Bind address of --with-healthcheck (127.0.0.1: local only)."
    )
    worker_kill_grace_seconds: float = 10.0
    worker_warm_engine: bool = Field(
        default=True,
        description=(
            "Process workers start flow runs from a fork server that has already imported the "
            "engine (Linux); false starts a new interpreter per run."
        ),
    )

    def resolved_home(self) -> Path:
        """``home`` with ``~`` expanded, created if missing."""
        home = self.home.expanduser()
        home.mkdir(parents=True, exist_ok=True)
        return home

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to ``sqlite:///<home>/flowyard.db``."""
        return self.database_url or f"sqlite:///{self.resolved_home() / 'flowyard.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (tests call ``get_settings.cache_clear()`` after changing env)."""
    return Settings()
