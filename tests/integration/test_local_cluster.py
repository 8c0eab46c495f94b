"""`lienthong kafka up|status|down` on real brokers: idempotent start, three nodes forming one cluster."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from services.ops.kafka_local import LocalCluster, describe_brokers


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "kafka", *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_three_nodes_form_one_cluster_and_up_is_idempotent(tmp_path: Path) -> None:
    state = tmp_path / "kafka3"
    common = ("--dir", str(state), "--base-port", "29092", "--nodes", "3")
    try:
        up = _cli("up", *common)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "started: 3 broker(s)" in up.stdout
        cluster = LocalCluster(state, nodes=3, base_port=29092)
        pids = cluster.running()
        assert len(pids) == 3

        again = _cli("up", *common)
        assert again.returncode == 0, again.stderr
        assert "already running: 3 broker(s)" in again.stdout
        assert cluster.running() == pids

        status = _cli("status", *common)
        assert status.returncode == 0
        for node_id, port in ((1, 29092), (2, 29093), (3, 29094)):
            assert f"broker {node_id}  PLAINTEXT://127.0.0.1:{port}" in status.stdout

        assert [b.node_id for b in describe_brokers(cluster.access)] == [1, 2, 3]
        admin = KafkaAdminClient(bootstrap_servers=cluster.bootstrap.split(","))
        admin.create_topics([NewTopic("replicated", 3, 3)])
        described = admin.describe_topics(["replicated"])[0]
        admin.close()
        assert all(sorted(p["replica_nodes"]) == [1, 2, 3] for p in described["partitions"])
    finally:
        down = _cli("down", *common)
    assert down.returncode == 0
    assert "stopped 3 Kafka process(es)" in down.stdout
    assert LocalCluster(state, nodes=3, base_port=29092).running() == {}
    status = _cli("status", *common)
    assert status.returncode == 1
    assert "Kafka is not running" in status.stdout
