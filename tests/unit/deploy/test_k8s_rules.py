"""The alert rules use the metrics the worker exports at /metrics (services/monitor/metrics.py), and say so."""

from __future__ import annotations

import re
from typing import Any

from services.monitor.technical import STATUSES
from services.settings import REPO_ROOT

from .conftest import one

# every metric family name metrics.py declares (a quoted lienthong_... name)
EXPORTED = set(re.findall(r'"(lienthong_[a-z_]+)"', (REPO_ROOT / "services/monitor/metrics.py").read_text("utf-8")))


def rules(docs: list[dict[str, Any]]) -> dict[str, str]:
    spec = one(docs, "PrometheusRule", "lienthong")["spec"]
    return {r["alert"]: str(r["expr"]) for group in spec["groups"] for r in group["rules"]}


def test_every_metric_and_status_in_the_rules_is_exported(rendered: dict[str, list[dict[str, Any]]]) -> None:
    assert len(EXPORTED) > 20
    assert "lienthong_consumer_group_status" in EXPORTED
    for alert, expr in rules(rendered["city"]).items():
        used = set(re.findall(r"\blienthong_[a-z_]+", expr))
        assert used, alert
        assert used <= EXPORTED, f"{alert}: not exported: {sorted(used - EXPORTED)}"
        for status in re.findall(r'status="([A-Z]+)"', expr):
            assert status in STATUSES, f"{alert}: status {status}"


def test_the_rules_cover_stall_stop_dead_letters_and_overdue(rendered: dict[str, list[dict[str, Any]]]) -> None:
    exprs = rules(rendered["province"])
    assert 'status="STALL"' in exprs["LienthongConsumerStalled"]
    assert 'status="STOP"' in exprs["LienthongConsumerStopped"]
    assert "deadletter" in exprs["LienthongDeadLettersGrowing"]
    assert "lienthong_handoffs_overdue offset 1h" in exprs["LienthongOverdueHandoffsGrowing"]
    assert 'state="overdue"' in exprs["LienthongOverdueDossiersGrowing"]
    # each worker reports the same whole figures: never summed across pods
    assert all(not expr.startswith("sum(") for expr in exprs.values())
