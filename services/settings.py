"""Runtime settings: one class, read from ``LIENTHONG_*`` environment variables at start-up.

Usage::

    settings = load_settings()          # raises SettingsError with a one-line message
    settings.bootstrap_servers          # "127.0.0.1:19092"

Nothing reads the environment at import time; the composition root (``services.app.create_app``)
and the CLI call :func:`load_settings` once.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["REPO_ROOT", "Settings", "SettingsError", "load_settings"]

REPO_ROOT = Path(__file__).resolve().parents[1]


class SettingsError(ValueError):
    """A bad or missing setting, described in one line."""


class Settings(BaseSettings):
    """lienthong's configuration. Every field maps to ``LIENTHONG_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="LIENTHONG_", extra="ignore", frozen=True)

    bootstrap_servers: str = Field(
        default="127.0.0.1:19092", description="Kafka bootstrap servers, host:port[,host:port...]"
    )
    data_dir: Path = Field(default=REPO_ROOT / ".local", description="Local state: Kafka data, tables, keys")
    web_host: str = Field(default="127.0.0.1", description="Address the worker's web server binds")
    web_port: int = Field(default=6066, ge=1, le=65535, description="Port of the worker's web server")
    app_id: str = Field(default="lienthong", min_length=1, description="Faust application id (consumer group)")
    topic_prefix: str = Field(
        default="lienthong",
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        max_length=40,
        description="First part of every topic name (several environments can share a cluster)",
    )
    topic_catalog: Path = Field(default=REPO_ROOT / "deploy" / "topics.yaml", description="Topic catalog")
    replication_factor: int = Field(default=1, ge=1, le=5, description="Replication used for new topics")
    endpoints_file: Path | None = Field(
        default=None, description="Agency connector endpoints (YAML); default <data dir>/endpoints.yaml"
    )
    credentials_file: Path | None = Field(
        default=None, description="Agency keys for the ingress API; default <data dir>/credentials.json"
    )
    timezone: str = Field(default="Asia/Ho_Chi_Minh")
    log_level: str = Field(default="info", description="crit|error|warn|info|debug")

    @field_validator("bootstrap_servers")
    @classmethod
    def _check_servers(cls, value: str) -> str:
        for server in value.split(","):
            host, sep, port = server.strip().rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"expected host:port[,host:port...], got {server.strip()!r}")
        return ",".join(s.strip() for s in value.split(","))

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        if value not in {"crit", "error", "warn", "info", "debug"}:
            raise ValueError("expected one of crit, error, warn, info, debug")
        return value

    @property
    def servers(self) -> list[str]:
        return self.bootstrap_servers.split(",")

    @property
    def endpoints_path(self) -> Path:
        return self.endpoints_file or self.data_dir / "endpoints.yaml"

    @property
    def credentials_path(self) -> Path:
        return self.credentials_file or self.data_dir / "credentials.json"


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment (and explicit overrides), or fail in one line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "LIENTHONG_" + str(first["loc"][0]).upper() if first["loc"] else "LIENTHONG_*"
        raise SettingsError(f"bad setting {name}: {first['msg']}") from None
