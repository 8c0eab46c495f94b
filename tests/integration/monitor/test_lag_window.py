"""``lienthong lag --technical`` against the real broker: the status rests on a window of samples (Burrow),
so a consumer that went away is STOP and a live one that does not move is STALL, where one sample said OK."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer

from services import cli
from tests.support.kafka import unique

from .support import lagging_group


@pytest.fixture
def env(kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LIENTHONG_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(tmp_path))
    return kafka_bootstrap


def topic_with_commits(bootstrap: str, group: str, committed: dict[int, int]) -> str:
    """A three-partition topic of 10 records per partition, and ``group``'s commits on it (then gone)."""
    topic = unique("it-lagwin")
    lagging_group(bootstrap, topic, group, committed)
    return topic


def lag_json(group: str, capsys: pytest.CaptureFixture[str], samples: int = 3, window: str = "3s") -> dict[str, Any]:
    assert (
        cli.main(["lag", "--technical", "--group", group, "--window", window, "--samples", str(samples), "--json"]) == 0
    )
    body: dict[str, Any] = json.loads(capsys.readouterr().out)
    return body


def test_a_group_that_went_away_is_stop_and_the_basis_is_printed(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    group = unique("it-lagwin-gone")
    topic = topic_with_commits(env, group, {0: 4, 1: 10, 2: 0})
    body = lag_json(group, capsys)
    assert body["samples"] == 3
    assert body["span_s"] >= 2.5
    (found,) = body["groups"]
    statuses = {p["partition"]: p["status"] for p in found["partitions"] if p["topic"] == topic}
    assert statuses == {0: "STOP", 1: "OK", 2: "STOP"}  # one sample would have said OK to all three
    assert found["status"] == "STOP"
    assert cli.main(["lag", "--technical", "--group", group, "--window", "2s", "--samples", "2"]) == 0
    captured = capsys.readouterr()
    assert "dựa trên 2 mẫu" in captured.out
    assert "based on 2 samples" in captured.out
    assert "STOP (ngừng / stopped)" in captured.out
    assert "+07" in captured.out
    assert "mẫu / sample 2/2" in captured.err  # progress on stderr, not in the table


@pytest.fixture
def live_member(env: str) -> Iterator[tuple[str, str]]:
    """A group with a live member that reads nothing further and commits nothing: lag stays, offsets stand."""
    group = unique("it-lagwin-live")
    topic = topic_with_commits(env, group, {0: 2, 1: 2, 2: 2})
    consumer = KafkaConsumer(
        bootstrap_servers=env.split(","), group_id=group, enable_auto_commit=False, max_poll_records=1
    )
    consumer.subscribe([topic])
    stop = threading.Event()
    deadline = time.monotonic() + 30
    while not consumer.assignment() and time.monotonic() < deadline:
        consumer.poll(timeout_ms=200)
    assert consumer.assignment(), "the member did not join its group"
    consumer.pause(*consumer.assignment())  # a member that stays in the group without reading on

    def heartbeat() -> None:
        while not stop.is_set():
            consumer.poll(timeout_ms=200)

    thread = threading.Thread(target=heartbeat, daemon=True)
    thread.start()
    try:
        yield group, topic
    finally:
        stop.set()
        thread.join(timeout=5)
        consumer.close()


def test_a_live_member_that_does_not_move_is_stall(
    live_member: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    group, topic = live_member
    body = lag_json(group, capsys)
    (found,) = body["groups"]
    assert found["members"] == 1
    assert {p["status"] for p in found["partitions"] if p["topic"] == topic} == {"STALL"}
    assert {p["window"] for p in found["partitions"]} == {3}  # a live member's samples count as commits


def test_a_caught_up_group_is_ok(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    group = unique("it-lagwin-done")
    topic_with_commits(env, group, {0: 10, 1: 10, 2: 10})
    (found,) = lag_json(group, capsys, samples=2, window="1s")["groups"]
    assert found["status"] == "OK"
    assert found["total_lag"] == 0


def test_fewer_than_two_samples_are_refused(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["lag", "--technical", "--samples", "1"]) == 2
    assert "--samples must be 2 or more" in capsys.readouterr().err
