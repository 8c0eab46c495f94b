"""Runtime settings: one class, read from ``LIENTHONG_*`` environment variables at start-up.

Usage::

    settings = load_settings()          # raises SettingsError with a one-line message
    settings.bootstrap_servers          # "127.0.0.1:19092"

Nothing reads the environment at import time; the composition root (``services.app.create_app``)
and the CLI call :func:`load_settings` once.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, FilePath, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.kafka_access import KafkaAccess

__all__ = ["REPO_ROOT", "Settings", "SettingsError", "load_settings", "settings_for"]

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
    app_id: str = Field(
        default="lienthong",
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="The workers' consumer group (every worker of one deployment has the same)",
    )
    instance_id: str | None = Field(
        default=None,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="This worker's static group membership (stable across restarts); default <host>-<web port>",
    )
    state_dir: Path | None = Field(
        default=None, description="This worker's local state (RocksDB copies); default <data dir>/worker"
    )
    session_timeout_s: float = Field(
        default=10.0,
        ge=6,
        le=300,
        description="Seconds without heartbeat before a worker's partitions go to the others (a restart within "
        "them gets its partitions back without a rebalance)",
    )
    ingress_timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="How long the ingress waits for Kafka and the router before answering 503 with Retry-After",
    )
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
    flows: str = Field(
        default="relay,watchdog,monitor",
        description="Flows this worker runs (comma separated): several workers can share the load, each with "
        "its own LIENTHONG_APP_ID; the monitor needs the watchdog",
    )
    timezone: str = Field(default="Asia/Ho_Chi_Minh")
    log_level: str = Field(default="info", description="crit|error|warn|info|debug")

    # -- reaching a secured Kafka (every client: services.kafka_access) --------------------------------
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="How clients talk to the brokers: TLS (SSL), SASL, both (SASL_SSL), neither"
    )
    kafka_ssl_cafile: FilePath | None = Field(
        default=None, description="PEM file of the CA that signed the brokers' certificates; unset: the system's CAs"
    )
    kafka_ssl_certfile: FilePath | None = Field(
        default=None, description="PEM client certificate, when the brokers require one (with the key file)"
    )
    kafka_ssl_keyfile: FilePath | None = Field(default=None, description="PEM private key of the client certificate")
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        default="SCRAM-SHA-512", description="SASL mechanism (PLAIN only over TLS: it sends the password)"
    )
    kafka_sasl_username: str | None = Field(default=None, min_length=1, description="SASL user")
    kafka_sasl_password: SecretStr | None = Field(default=None, min_length=1, description="SASL password")

    @model_validator(mode="after")
    def _kafka_security(self) -> Settings:
        protocol = self.kafka_security_protocol
        tls, sasl = protocol in {"SSL", "SASL_SSL"}, protocol in {"SASL_PLAINTEXT", "SASL_SSL"}
        files = {"CAFILE": self.kafka_ssl_cafile, "CERTFILE": self.kafka_ssl_certfile}
        files["KEYFILE"] = self.kafka_ssl_keyfile
        for name, value in files.items():
            if value is not None and not tls:
                raise ValueError(f"LIENTHONG_KAFKA_SSL_{name} is set but the protocol is {protocol} (no TLS)")
        if (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            raise ValueError("LIENTHONG_KAFKA_SSL_CERTFILE and LIENTHONG_KAFKA_SSL_KEYFILE go together")
        if sasl and (self.kafka_sasl_username is None or self.kafka_sasl_password is None):
            raise ValueError(
                f"LIENTHONG_KAFKA_SECURITY_PROTOCOL={protocol} needs LIENTHONG_KAFKA_SASL_USERNAME and _PASSWORD"
            )
        if not sasl and (self.kafka_sasl_username is not None or self.kafka_sasl_password is not None):
            raise ValueError(f"LIENTHONG_KAFKA_SASL_USERNAME/_PASSWORD are set but the protocol is {protocol}")
        if protocol == "SASL_PLAINTEXT" and self.kafka_sasl_mechanism == "PLAIN":
            raise ValueError("SASL PLAIN without TLS would send the Kafka password in clear: use SASL_SSL")
        return self

    @property
    def kafka(self) -> KafkaAccess:
        """Where Kafka is and how to get in: what every client is made from."""
        sasl = self.kafka_security_protocol in {"SASL_PLAINTEXT", "SASL_SSL"}
        return KafkaAccess(
            servers=tuple(self.servers),
            security_protocol=self.kafka_security_protocol,
            ssl_cafile=_str(self.kafka_ssl_cafile),
            ssl_certfile=_str(self.kafka_ssl_certfile),
            ssl_keyfile=_str(self.kafka_ssl_keyfile),
            sasl_mechanism=self.kafka_sasl_mechanism if sasl else None,
            sasl_username=self.kafka_sasl_username,
            sasl_password=self.kafka_sasl_password,
        )

    @field_validator("bootstrap_servers")
    @classmethod
    def _check_servers(cls, value: str) -> str:
        for server in value.split(","):
            host, sep, port = server.strip().rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"expected host:port[,host:port...], got {server.strip()!r}")
        return ",".join(s.strip() for s in value.split(","))

    @field_validator("public_trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: str) -> str:
        import ipaddress

        for part in (p.strip() for p in value.split(",")):
            if part:
                try:
                    ipaddress.ip_network(part, strict=False)
                except ValueError:
                    raise ValueError(
                        f"expected IP addresses or networks (CIDR), comma-separated; got {part!r}"
                    ) from None
        return value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        if value not in {"crit", "error", "warn", "info", "debug"}:
            raise ValueError("expected one of crit, error, warn, info, debug")
        return value

    @field_validator("flows")
    @classmethod
    def _check_flows(cls, value: str) -> str:
        names = {f.strip() for f in value.split(",") if f.strip()}
        unknown = names - {"relay", "watchdog", "monitor"}
        if unknown or not names:
            raise ValueError(f"expected some of relay, watchdog, monitor; got {value!r}")
        if "monitor" in names and "watchdog" not in names:
            raise ValueError("the monitor needs the watchdog in the same worker")
        return ",".join(sorted(names))

    @property
    def flow_set(self) -> frozenset[str]:
        return frozenset(self.flows.split(","))

    @property
    def servers(self) -> list[str]:
        return self.bootstrap_servers.split(",")

    @property
    def instance(self) -> str:
        return self.instance_id or f"{socket.gethostname()}-{self.web_port}"

    @property
    def state_path(self) -> Path:
        return self.state_dir or self.data_dir / "worker"

    @property
    def endpoints_path(self) -> Path:
        return self.endpoints_file or self.data_dir / "endpoints.yaml"

    @property
    def credentials_path(self) -> Path:
        return self.credentials_file or self.data_dir / "credentials.json"

    # -- the watchdog (services/watchdog) ---------------------------------------------------------
    watchdog_rules_file: Path | None = Field(
        default=None, description="Alert rules (YAML); default: the packaged services/watchdog/rules.yaml"
    )
    watchdog_tick_s: float = Field(default=1.0, ge=0.05, le=60, description="Seconds between deadline-index reads")
    digest_hour: int = Field(default=7, ge=0, le=23, description="Hour of the Office's daily digest (Asia/Ho_Chi_Minh)")
    digest_minute: int = Field(default=30, ge=0, le=59, description="Minute of the daily digest")
    alert_webhook_url: str | None = Field(default=None, description="POST every alert and digest here (JSON)")
    alert_webhook_secret: SecretStr | None = Field(
        default=None, min_length=16, description="HMAC key signing the alert webhook (16+ characters)"
    )
    alert_webhook_max_attempts: int = Field(default=5, ge=1, le=50, description="Delivery attempts per alert")
    alert_webhook_backoff_s: float = Field(default=0.5, ge=0, le=60, description="First retry wait (doubles)")
    smtp_host: str | None = Field(default=None, description="SMTP server for alert emails; unset: no email")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = Field(default="lienthong@localhost", description="From: of alert emails")
    smtp_starttls: bool = Field(default=False, description="Upgrade the SMTP connection with STARTTLS")
    smtp_username: str | None = Field(default=None)
    smtp_password: SecretStr | None = Field(default=None)
    contacts_file: Path | None = Field(
        default=None, description="Alert recipients per agency and audience (YAML); default <data dir>/contacts.yaml"
    )
    clock_file: Path | None = Field(
        default=None,
        description="TESTS ONLY: read the watchdog's current instant from this file (JSON); unset: real time",
    )

    @model_validator(mode="after")
    def _webhook_secret(self) -> Settings:
        if self.alert_webhook_url is not None:
            if not self.alert_webhook_url.startswith(("http://", "https://")):
                raise ValueError("LIENTHONG_ALERT_WEBHOOK_URL must be an http:// or https:// URL")
            if self.alert_webhook_secret is None:
                raise ValueError("LIENTHONG_ALERT_WEBHOOK_URL needs LIENTHONG_ALERT_WEBHOOK_SECRET (16+ characters)")
        return self

    @property
    def contacts_path(self) -> Path:
        return self.contacts_file or self.data_dir / "contacts.yaml"

    # -- the monitor (services/monitor) -----------------------------------------------------------
    monitor_users_file: Path | None = Field(
        default=None, description="Dashboard users (JSON, mode 0600); default <data dir>/monitor-users.json"
    )
    monitor_session_secret: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Key signing session cookies (32+ characters); unset: a key kept in <data dir>/monitor-session.key",
    )
    monitor_session_hours: float = Field(default=10.0, gt=0, le=168, description="Lifetime of a dashboard session")
    public_check_secret: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Key deriving the citizens' check codes (32+ characters; the same on every worker); "
        "unset: a key kept in <data dir>/public-check.key",
    )
    delivery_concurrency: int = Field(
        default=8,
        ge=1,
        le=64,
        description="Dossiers of one outbound partition delivered at once (each dossier's events in order)",
    )
    public_lookups_per_hour: int = Field(
        default=30, ge=1, le=10_000, description="Lookups one address may make on the public page per hour"
    )
    public_trusted_proxies: str = Field(
        default="",
        description="Reverse proxies in front of the workers (IPs or CIDRs, comma-separated) whose "
        "X-Forwarded-For names the citizen's address for the public page's allowance",
    )
    monitor_cookie_secure: bool = Field(default=False, description="Send the session cookie over HTTPS only")
    monitor_sample_s: float = Field(default=10.0, ge=0.2, le=600, description="Seconds between consumer-lag samples")
    monitor_window: int = Field(default=10, ge=2, le=100, description="Consumer-lag samples per status window")
    monitor_groups: str = Field(
        default="", description="More consumer groups to watch, comma separated (the worker's own group always)"
    )
    monitor_refresh_s: float = Field(default=5.0, ge=1, le=300, description="Dashboard live-update interval")
    monitor_cache_s: float = Field(
        default=2.0,
        ge=0,
        le=300,
        description="Seconds a business snapshot is served before one is computed in the background (0: at once)",
    )
    monitor_metrics_token: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="Bearer token /metrics requires (16+ characters); unset: served to this machine only",
    )

    @property
    def monitor_users_path(self) -> Path:
        return self.monitor_users_file or self.data_dir / "monitor-users.json"

    @property
    def monitor_group_list(self) -> list[str]:
        """The workers' event-log group, then any configured (a worker adds the groups it runs)."""
        extra = [g.strip() for g in self.monitor_groups.split(",") if g.strip()]
        return list(dict.fromkeys([self.app_id, *extra]))


def _str(path: Path | None) -> str | None:
    return str(path) if path is not None else None


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment (and explicit overrides), or fail in one line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "LIENTHONG_" + str(first["loc"][0]).upper() if first["loc"] else "LIENTHONG_*"
        raise SettingsError(f"bad setting {name}: {first['msg']}") from None


def settings_for(env: Mapping[str, str]) -> Settings:
    """The settings a child process started with ``env`` (over this process's environment) will have: what its
    parent needs to reach the same Kafka the same way."""
    prefix = Settings.model_config["env_prefix"]
    return load_settings(**{k.removeprefix(prefix).lower(): v for k, v in env.items() if k.startswith(prefix)})
