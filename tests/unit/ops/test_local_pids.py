"""`kafka down` signals only the processes `kafka up` started, even when a stale pid file names a recycled pid."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from services.ops.kafka_local import LocalCluster, _alive, _start_time


def test_a_pid_is_ours_only_with_the_recorded_start_time() -> None:
    me = os.getpid()
    started = _start_time(me)
    assert started is not None
    assert _alive(me, started)
    # the same pid with another start time is a recycled pid: some other program's
    assert not _alive(me, started + 1)


def test_a_legacy_pid_file_is_trusted_only_for_a_kafka_broker() -> None:
    # this process is python, not kafka.Kafka: an old pid file naming it must not make `down` signal it
    assert not _alive(os.getpid(), None)


def test_down_leaves_a_stranger_with_a_recycled_pid_alone(tmp_path: Path) -> None:
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = _start_time(stranger.pid)
        assert started is not None
        node = tmp_path / "node-1"
        node.mkdir()
        # what a crash leaves behind: our broker's pid file, its pid since reused by another process
        (node / "kafka.pid").write_text(f"{stranger.pid} {started - 1}\n")
        cluster = LocalCluster(tmp_path)
        assert cluster.running() == {}
        assert cluster.down(timeout_s=1) == []
        assert stranger.poll() is None, "down signalled a process it did not start"
        assert not (node / "kafka.pid").exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_a_pid_that_no_process_has_is_not_alive() -> None:
    beyond = int(Path("/proc/sys/kernel/pid_max").read_text()) + 1
    assert _start_time(beyond) is None
    assert not _alive(beyond, None)
