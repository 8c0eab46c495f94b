"""kafka-python (admin, producer, consumer) and a faust agent on the real broker, together."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic

from simulators.processes import Process, free_port
from tests.support.kafka import KafkaUnreachable, require_kafka, unique


def test_message_relayed_by_faust_agent(kafka_bootstrap: str, tmp_path: Path) -> None:
    in_topic, out_topic = unique("it.in"), unique("it.out")
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic(in_topic, 3, 1), NewTopic(out_topic, 3, 1)])
    admin.close()

    port = free_port()
    worker = Process(
        ["-m", "tests.integration.faust_relay_app", in_topic, out_topic],
        env={
            "LIENTHONG_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "LIENTHONG_APP_ID": unique("it-relay"),
            "LIENTHONG_DATA_DIR": str(tmp_path),
            "LIENTHONG_WEB_PORT": str(port),
        },
        log=tmp_path / "worker.log",
    )
    try:
        worker.wait_http(f"http://127.0.0.1:{port}/healthz")
        producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        keys = [f"000.00.20.H41-261126-{i:04d}".encode() for i in range(5)]
        for key in keys:
            producer.send(in_topic, key=key, value=b"hello " + key).get(timeout=10)
        producer.close()

        consumer = KafkaConsumer(
            out_topic,
            bootstrap_servers=kafka_bootstrap,
            auto_offset_reset="earliest",
            consumer_timeout_ms=1000,
            group_id=unique("it-reader"),
        )
        got: dict[bytes, bytes] = {}
        deadline = time.monotonic() + 45
        while len(got) < len(keys) and time.monotonic() < deadline:
            for record in consumer:
                got[record.key] = record.value
        consumer.close()
        assert got == {key: b"relayed:hello " + key for key in keys}, worker.tail()
    finally:
        assert worker.stop() in (0, -15), worker.tail()


def test_unreachable_broker_fails_fast_with_one_line() -> None:
    started = time.monotonic()
    with pytest.raises(KafkaUnreachable) as info:
        require_kafka("127.0.0.1:1", timeout_ms=1500)
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert "\n" not in message
    assert "Kafka is not reachable at 127.0.0.1:1" in message
    assert "lienthong kafka up" in message
