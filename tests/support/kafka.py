"""Reaching the real broker from tests: fail fast, in one line, when it is not there."""

from __future__ import annotations

import os
import uuid

from services.kafka_access import KafkaAccess
from services.ops.kafka_local import describe_brokers

DEFAULT_BOOTSTRAP = "127.0.0.1:19092"


class KafkaUnreachable(RuntimeError):
    pass


def bootstrap_servers() -> str:
    return os.environ.get("LIENTHONG_BOOTSTRAP_SERVERS", DEFAULT_BOOTSTRAP)


def require_kafka(bootstrap: str, timeout_ms: int = 3000) -> int:
    """Return the broker count, or raise KafkaUnreachable with the one line a developer needs."""
    try:
        brokers = describe_brokers(KafkaAccess.plain(bootstrap), timeout_ms=timeout_ms)
    except Exception as exc:  # noqa: BLE001 - whatever the client raised, the message is the same
        raise KafkaUnreachable(
            f"Kafka is not reachable at {bootstrap} ({type(exc).__name__}): "
            "start it with `lienthong kafka up`, or run the tests with `bash deploy/test`"
        ) from None
    return len(brokers)


def unique(prefix: str) -> str:
    """A topic or group name no other test run uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
