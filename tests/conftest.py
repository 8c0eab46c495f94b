from __future__ import annotations

import pytest

from tests.support.kafka import KafkaUnreachable, bootstrap_servers, require_kafka


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """The real broker's bootstrap servers; fails the test in one line when the broker is down."""
    servers = bootstrap_servers()
    try:
        require_kafka(servers)
    except KafkaUnreachable as exc:
        pytest.fail(str(exc), pytrace=False)
    return servers
