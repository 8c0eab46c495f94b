"""The README's main job (`bash deploy/run` runs `lienthong demo`), small: a few dossiers through the real worker
and simulated agencies, with the faults, ending in the summary."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from services.kafka_access import KafkaAccess
from simulators.processes import free_port
from simulators.stack import drop_topics


def test_the_demo_plays_a_day_and_every_dossier_completes(kafka_bootstrap: str, tmp_path: Path) -> None:
    prefix = "t" + uuid.uuid4().hex[:10]
    env = {
        **os.environ,
        "LIENTHONG_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "LIENTHONG_TOPIC_PREFIX": prefix,
        "LIENTHONG_APP_ID": f"{prefix}-app",
        "LIENTHONG_DATA_DIR": str(tmp_path),
        "LIENTHONG_WEB_PORT": str(free_port()),
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "services.cli", "demo", "--dossiers", "6", "--minutes", "0.3", "--exit"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    finally:
        drop_topics(KafkaAccess.plain(kafka_bootstrap), prefix, [f"{prefix}-app"])
    out = done.stdout
    assert done.returncode == 0, f"{out[-2000:]}\n{done.stderr[-2000:]}"
    assert "/6  có kết quả" in out  # progress, in Vietnamese
    assert "hồ sơ hoàn thành / dossiers completed       6" in out
    assert "phiếu chuyển còn mở / handoffs still open    0" in out
    assert "theo bảng theo dõi / as the dashboard counts 0" in out  # the dashboard, /metrics and ledgers agree
    assert "thư chết / dead-lettered                    0" in out
    assert "cách ly / quarantined                       0" in out
    assert "/monitor/  — đăng nhập / sign in: vanphong / " in out  # the Office's account, on the first run
