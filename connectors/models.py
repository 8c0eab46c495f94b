"""Data in and out of a connector: the event to deliver, the result, the endpoint config.

``OutboundEvent`` and ``DeliveryResult`` are plain frozen dataclasses (built in the hot
path, never parsed from outside); ``AgencyEndpoint`` is configuration read from
YAML/TOML, so it is a validating pydantic model whose secrets are ``SecretStr`` and
never appear in a repr or a log line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from connectors.errors import AgencyRejected, AgencyUnavailable

__all__ = ["AgencyEndpoint", "ConnectorKind", "DeliveryResult", "OutboundEvent"]

ConnectorKind = Literal["one-stop", "land-registry", "tax", "lgsp", "webhook", "pull"]


@dataclass(frozen=True, slots=True)
class OutboundEvent:
    """One event to POST to one agency.

    ``body`` is the JSON document to send (it carries citizens' data, so it is kept out
    of ``repr``); ``event_id`` doubles as the ``Idempotency-Key``.

        OutboundEvent("evt-1", "tax", "H38.22-230510-0001", "CadastralInfoSent", b"{}")
    """

    event_id: str
    agency: str
    dossier_code: str
    event_type: str
    body: bytes = field(repr=False)
    content_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """Outcome of ``deliver()``.

    ``ok`` False means the event belongs on the dead-letter topic with ``error`` as the
    reason: ``permanent`` True when the agency refused it (4xx), False when the retry
    budget ran out (connection errors, timeouts, 5xx, 429). ``status`` is the last HTTP
    status seen, None when no response arrived.
    """

    ok: bool
    status: int | None
    attempts: int
    error: str | None = None
    permanent: bool = False
    elapsed_s: float = 0.0

    @property
    def exhausted(self) -> bool:
        """True when delivery failed because the retry budget ran out."""
        return not self.ok and not self.permanent

    def raise_for_failure(self) -> None:
        """Raise ``AgencyRejected`` / ``AgencyUnavailable`` for a failed result; no-op when ok."""
        if self.ok:
            return
        message = self.error or "delivery failed"
        if self.permanent:
            raise AgencyRejected(message, status=self.status)
        raise AgencyUnavailable(message, status=self.status)


def _check_http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value.rstrip("/")


class AgencyEndpoint(BaseModel):
    """Where and how to reach one agency system; one entry of the agencies config.

    AgencyEndpoint(agency="tax", kind="tax", url="https://thue.example/api", secret="...")
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    agency: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    kind: ConnectorKind
    url: str
    # Shared HMAC key for X-Lienthong-Signature; 16+ characters so it is not guessable.
    secret: SecretStr = Field(min_length=16)
    timeout_s: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    # Total time budget across attempts, waits included.
    max_elapsed_s: float = Field(default=300.0, gt=0)
    backoff_initial_s: float = Field(default=0.5, ge=0)
    backoff_max_s: float = Field(default=30.0, ge=0)
    # An agency asking for an hour's pause must not park a consumer for an hour.
    retry_after_cap_s: float = Field(default=60.0, ge=0)
    max_concurrency: int = Field(default=4, ge=1)
    poll_interval_s: float = Field(default=30.0, gt=0)
    # LGSP gateways: OAuth2 client-credentials token endpoint.
    token_url: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_http_url(value)

    @field_validator("token_url")
    @classmethod
    def _token_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_http_url(value)

    @model_validator(mode="after")
    def _lgsp_needs_token(self) -> Self:
        if self.kind == "lgsp" and not (self.token_url and self.client_id and self.client_secret):
            raise ValueError("kind 'lgsp' needs token_url, client_id and client_secret")
        return self
