"""`lienthong topics apply` against the real broker: create, then no-op, then drift without deleting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from tests.support.kafka import unique

CATALOG = """\
version: 1
defaults: {{partitions: {partitions}, replication_factor: 1}}
topics:
  - name: {events}
    cleanup_policy: delete
    retention_days: 30
    purpose: test event stream
  - name: {state}
    cleanup_policy: compact
    purpose: test state topic
"""


def _apply(kafka_bootstrap: str, catalog: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LIENTHONG_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "LIENTHONG_TOPIC_CATALOG": str(catalog),
    }
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "topics", "apply", *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_apply_creates_then_changes_nothing_then_reports_drift(kafka_bootstrap: str, tmp_path: Path) -> None:
    events, state = unique("it.events"), unique("it.state")
    catalog = tmp_path / "topics.yaml"
    catalog.write_text(CATALOG.format(partitions=2, events=events, state=state))

    first = _apply(kafka_bootstrap, catalog)
    assert first.returncode == 0, first.stderr
    assert f"created   {events}" in first.stdout
    assert f"created   {state}" in first.stdout

    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    producer.send(events, key=b"HS-1", value=b"kept").get(timeout=10)
    producer.close()

    second = _apply(kafka_bootstrap, catalog)
    assert second.returncode == 0, second.stderr
    assert "nothing to change: 2 topics match the catalog" in second.stdout
    assert "created" not in second.stdout

    catalog.write_text(CATALOG.format(partitions=4, events=events, state=state))
    drift = _apply(kafka_bootstrap, catalog)
    assert drift.returncode == 3
    assert f"DRIFT     {events}: partitions 2, catalog says 4" in drift.stdout
    assert "nothing was deleted" in drift.stdout

    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    described = {t["name"]: len(t["partitions"]) for t in admin.describe_topics([events, state])}
    admin.close()
    assert described == {events: 2, state: 2}
    consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap, consumer_timeout_ms=3000)
    partitions = [TopicPartition(events, p) for p in range(2)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    values = [r.value for r in consumer]
    consumer.close()
    assert values == [b"kept"]


def test_check_mode_reports_missing_topics_and_creates_nothing(kafka_bootstrap: str, tmp_path: Path) -> None:
    events, state = unique("it.events"), unique("it.state")
    catalog = tmp_path / "topics.yaml"
    catalog.write_text(CATALOG.format(partitions=1, events=events, state=state))
    checked = _apply(kafka_bootstrap, catalog, "--check")
    assert checked.returncode == 3
    assert f"DRIFT     {events}: missing" in checked.stdout
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    assert events not in admin.list_topics()
    admin.close()
