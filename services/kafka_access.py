"""How every Kafka client of lienthong reaches the cluster: the bootstrap servers with the TLS and SASL settings.

The two client libraries take nearly the same keyword arguments (``security_protocol``, ``sasl_mechanism``,
``sasl_plain_username``, ``sasl_plain_password``); they differ in TLS: kafka-python reads ``ssl_cafile``,
``ssl_certfile`` and ``ssl_keyfile`` itself, aiokafka wants a built ``ssl_context``. Every client is made from
one of the two helpers below, so a secured cluster needs no change anywhere else::

    kafka = settings.kafka                                   # or KafkaAccess.plain("127.0.0.1:19092")
    admin = KafkaAdminClient(**kafka.kafka_python(client_id="lienthong-cli"))
    producer = AIOKafkaProducer(**kafka.aiokafka(acks="all"))

The password is a ``SecretStr``: it is shown as ``**********`` in every repr and error message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

__all__ = ["PROTOCOLS", "SASL_MECHANISMS", "KafkaAccess"]

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")


@dataclass(frozen=True)
class KafkaAccess:
    """The bootstrap servers and how to get in (TLS, SASL). Built from the settings (``settings.kafka``)."""

    servers: tuple[str, ...]
    security_protocol: str = "PLAINTEXT"
    ssl_cafile: str | None = None  # the CA that signed the brokers' certificates; None: the system's CAs
    ssl_certfile: str | None = None  # a client certificate, when the brokers ask for one
    ssl_keyfile: str | None = None
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = field(default=None, repr=False)

    @classmethod
    def plain(cls, bootstrap: str) -> KafkaAccess:
        """A cluster without TLS or SASL at ``host:port[,host:port...]`` (the local development broker)."""
        return cls(servers=tuple(s.strip() for s in bootstrap.split(",") if s.strip()))

    @property
    def bootstrap(self) -> str:
        return ",".join(self.servers)

    @property
    def tls(self) -> bool:
        return self.security_protocol in {"SSL", "SASL_SSL"}

    @property
    def sasl(self) -> bool:
        return self.security_protocol in {"SASL_PLAINTEXT", "SASL_SSL"}

    def __str__(self) -> str:
        """``host:port (SASL_SSL, SCRAM-SHA-512 as admin)``: for messages; never the password."""
        if self.security_protocol == "PLAINTEXT":
            return self.bootstrap
        how = f", {self.sasl_mechanism} as {self.sasl_username}" if self.sasl else ""
        return f"{self.bootstrap} ({self.security_protocol}{how})"

    def _sasl_options(self) -> dict[str, Any]:
        if not self.sasl:
            return {}
        return {
            "sasl_mechanism": self.sasl_mechanism,
            "sasl_plain_username": self.sasl_username,
            "sasl_plain_password": self.sasl_password.get_secret_value() if self.sasl_password else None,
        }

    def kafka_python(self, **options: Any) -> dict[str, Any]:
        """Keyword arguments for kafka-python's ``KafkaAdminClient``, ``KafkaConsumer`` and ``KafkaProducer``."""
        security: dict[str, Any] = {}
        if self.security_protocol != "PLAINTEXT":
            security["security_protocol"] = self.security_protocol
        if self.tls:
            security.update(
                ssl_cafile=self.ssl_cafile,
                ssl_certfile=self.ssl_certfile,
                ssl_keyfile=self.ssl_keyfile,
                ssl_check_hostname=True,
            )
        return {"bootstrap_servers": list(self.servers), **security, **self._sasl_options(), **options}

    def aiokafka(self, **options: Any) -> dict[str, Any]:
        """Keyword arguments for aiokafka's ``AIOKafkaProducer`` and ``AIOKafkaConsumer`` (a fresh TLS context
        per client: verifying the broker's certificate and host name, as ``create_ssl_context`` always does)."""
        security: dict[str, Any] = {}
        if self.security_protocol != "PLAINTEXT":
            security["security_protocol"] = self.security_protocol
        if self.tls:
            from aiokafka.helpers import create_ssl_context

            security["ssl_context"] = create_ssl_context(
                cafile=self.ssl_cafile, certfile=self.ssl_certfile, keyfile=self.ssl_keyfile
            )
        return {"bootstrap_servers": list(self.servers), **security, **self._sasl_options(), **options}

    def env(self) -> dict[str, str]:
        """The ``LIENTHONG_*`` variables that make another lienthong process connect the same way (password
        included: for a child process's environment, never for printing)."""
        values = {
            "LIENTHONG_BOOTSTRAP_SERVERS": self.bootstrap,
            "LIENTHONG_KAFKA_SECURITY_PROTOCOL": self.security_protocol,
            "LIENTHONG_KAFKA_SSL_CAFILE": self.ssl_cafile if self.tls else None,
            "LIENTHONG_KAFKA_SSL_CERTFILE": self.ssl_certfile if self.tls else None,
            "LIENTHONG_KAFKA_SSL_KEYFILE": self.ssl_keyfile if self.tls else None,
            "LIENTHONG_KAFKA_SASL_MECHANISM": self.sasl_mechanism if self.sasl else None,
            "LIENTHONG_KAFKA_SASL_USERNAME": self.sasl_username if self.sasl else None,
            "LIENTHONG_KAFKA_SASL_PASSWORD": self.sasl_password.get_secret_value()
            if self.sasl and self.sasl_password
            else None,
        }
        return {name: value for name, value in values.items() if value is not None}
