"""The monitor's consumer lag equals what Kafka's own consumer-groups tool prints for the same group."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from services.ops.kafka_local import LIBS_DIR, LOG4J

from .support import MonitorStack, lagging_group

pytestmark = pytest.mark.asyncio(loop_scope="package")
TOOL = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    assert found, "Java 17+ is needed to run Kafka's consumer-groups tool"
    return found


def kafka_tool(bootstrap: str, group: str) -> dict[tuple[str, int], tuple[int, int, int]]:
    """``kafka-consumer-groups.sh --describe --group``: (topic, partition) -> (current, log-end, lag)."""
    cmd = [java(), f"-Dlog4j2.configurationFile={LOG4J}", "-cp", f"{LIBS_DIR}/*", TOOL]
    done = subprocess.run(
        [*cmd, "--bootstrap-server", bootstrap, "--describe", "--group", group],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows: dict[tuple[str, int], tuple[int, int, int]] = {}
    for line in done.stdout.splitlines():
        cells = line.split()
        if len(cells) >= 6 and cells[0] == group and cells[2].isdigit() and cells[3].isdigit():
            rows[(cells[1], int(cells[2]))] = (int(cells[3]), int(cells[4]), int(cells[5]))
    return rows


def monitor_rows(body: dict[str, Any], group: str) -> dict[tuple[str, int], tuple[int, int, int]]:
    (found,) = [g for g in body["groups"] if g["group"] == group]
    return {(p["topic"], p["partition"]): (p["committed"], p["log_end"], p["lag"]) for p in found["partitions"]}


async def test_a_stopped_groups_lag_equals_kafkas_tool_and_it_is_STOP(stack: MonitorStack) -> None:
    group, topic = stack.extra["PROBE_GROUP"], stack.topic("probe")
    await asyncio.to_thread(lagging_group, stack.bootstrap, topic, group)
    body = await stack.sampled(group, samples=3)
    tool = await asyncio.to_thread(kafka_tool, stack.bootstrap, group)
    assert tool == {(topic, 0): (4, 10, 6), (topic, 1): (10, 10, 0), (topic, 2): (0, 10, 10)}
    assert monitor_rows(body, group) == tool
    (status,) = [g for g in body["groups"] if g["group"] == group]
    assert status["members"] == 0
    assert status["total_lag"] == 16
    assert status["status"] == "STOP"  # nobody commits, records wait: Burrow's rule 3
    by_partition = {p["partition"]: p["status"] for p in status["partitions"]}
    assert by_partition[1] == "OK"  # nothing to read there


async def test_the_workers_own_group_equals_kafkas_tool(stack: MonitorStack) -> None:
    """Where the group committed, the same rows as Kafka's tool; where it never did (an empty partition of the
    event log), the monitor still lists the partition, with its whole backlog (here none)."""
    tool: dict[tuple[str, int], tuple[int, int, int]] = {}
    mine: dict[tuple[str, int], tuple[int, int, int]] = {}
    for _ in range(5):  # the worker may commit between the two reads: ask again until they agree
        before = await stack.sampled(stack.group, samples=1)
        tool = await asyncio.to_thread(kafka_tool, stack.bootstrap, stack.group)
        after = await stack.sampled(stack.group, samples=2)
        mine = monitor_rows(after, stack.group)
        if (
            {k: v for k, v in mine.items() if k in tool}
            == tool
            == {k: v for k, v in monitor_rows(before, stack.group).items() if k in tool}
        ):
            break
    assert {k: v for k, v in mine.items() if k in tool} == tool
    assert all(mine[k][2] == mine[k][1] - mine[k][0] for k in mine.keys() - tool.keys())
    assert {p for _, p in mine} == set(range(6))  # every partition of the event log is listed
    assert (stack.topic("events"), 0) in tool or any(t == stack.topic("events") for t, _ in tool)
    (status,) = [g for g in after["groups"] if g["group"] == stack.group]
    assert status["state"] == "Stable"
    assert status["members"] == 1
    assert status["status"] == "OK"


async def test_a_partition_the_group_never_committed_on_counts_its_whole_backlog(stack: MonitorStack) -> None:
    """Kafka's own tool shows no lag where the group never committed; an operator needs the truth there."""
    from services.monitor.kafka_lag import KafkaProbe

    group, topic = stack.extra["PROBE_GROUP"] + "-never", stack.topic("probe-never")
    await asyncio.to_thread(lagging_group, stack.bootstrap, topic, group)
    probe = KafkaProbe(stack.kafka)
    try:
        (found,) = await asyncio.to_thread(probe.probe, [group], 0.0, {group: [topic]})
    finally:
        probe.close()
    assert found.committed == {(topic, 0): 4, (topic, 1): 10, (topic, 2): 0}
    fresh_group = group + "-fresh"  # reads the same topic, committed nowhere: all 30 records are pending
    probe = KafkaProbe(stack.kafka)
    try:
        (fresh,) = await asyncio.to_thread(probe.probe, [fresh_group], 0.0, {fresh_group: [topic]})
    finally:
        probe.close()
    assert fresh.committed == {(topic, 0): 0, (topic, 1): 0, (topic, 2): 0}
    assert sum(fresh.log_end[tp] - off for tp, off in fresh.committed.items()) == 30
