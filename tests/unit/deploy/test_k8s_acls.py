"""The KafkaUser ACLs are what each component's code reads and writes, no more (deploy/k8s/base/kafka/users.yaml).

The expected access is written from the topic names the code uses (the same constants the flows use), so
a flow that starts reading or writing another topic fails here until its user says so.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from schemas.agencies import default_agencies
from services.monitor.agents import TIMELINE_LOG
from services.monitor.kafka_lag import group_topics
from services.ops.topics import load_catalog
from services.relay.topics import make_topics as relay_topics
from services.settings import REPO_ROOT, Settings
from services.watchdog.tables import make_topics as watchdog_topics

from .conftest import K8S, OVERLAYS, of_kind, one

CATALOG = load_catalog(REPO_ROOT / "deploy" / "topics.yaml", list(default_agencies()))
ALL = {t.name for t in CATALOG.topics}
RELAY = relay_topics(list(default_agencies()))
WATCHDOG = watchdog_topics("lienthong")
OUTBOUND = set(RELAY.outbound.values())

# the worker: every flow in one process (services/app.py)
WORKER_WRITES = {
    RELAY.events,  # ingress, router (forwarding to a dossier's partition), pull connector
    RELAY.ledger,
    RELAY.receipts,
    RELAY.nonces,
    RELAY.quarantine,
    RELAY.deadletter,
    *OUTBOUND,
    WATCHDOG.alerts,
    WATCHDOG.notices,
    WATCHDOG.states,
    WATCHDOG.index,
    WATCHDOG.late,
    WATCHDOG.notice_table,
    TIMELINE_LOG,
}
WORKER_READS = WORKER_WRITES - {RELAY.quarantine, RELAY.deadletter}  # those two: counted (Describe) only
# the CLI: audit, dlq, alerts list, notices list, report late, lag (services/cli.py, ops/audit.py, */cli.py)
OPERATOR_READS = {
    RELAY.events,
    RELAY.ledger,
    RELAY.receipts,
    RELAY.quarantine,
    RELAY.deadletter,
    *OUTBOUND,
    WATCHDOG.alerts,
    WATCHDOG.notices,
    WATCHDOG.states,
    WATCHDOG.late,
}
OPERATOR_WRITES = {RELAY.events, *OUTBOUND, RELAY.receipts, WATCHDOG.alerts}  # dlq redrive, audit --repair


def grants(user: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """(resource type, operation) -> the catalog topics or group names it is allowed on."""
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for acl in user["spec"]["authorization"]["acls"]:
        resource = acl["resource"]
        assert acl.get("type", "allow") == "allow", acl
        name, pattern = resource.get("name", ""), resource.get("patternType", "literal")
        if resource["type"] == "topic":
            matched = {t for t in ALL if t.startswith(name)} if pattern == "prefix" else {name} & ALL
            assert matched, f"{user['metadata']['name']}: {pattern} {name} matches no catalog topic"
        else:
            assert pattern == "literal", acl
            matched = {name}
        for op in acl["operations"]:
            out[(resource["type"], op)] |= matched
    return out


def users(docs: list[dict[str, Any]]) -> dict[str, dict[tuple[str, str], set[str]]]:
    return {u["metadata"]["name"]: grants(u) for u in of_kind(docs, "KafkaUser")}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_worker_reads_and_writes_what_its_flows_use(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    worker = users(rendered[overlay])["lienthong-worker"]
    assert worker[("topic", "Write")] == WORKER_WRITES == ALL
    assert worker[("topic", "Read")] == WORKER_READS
    assert worker[("topic", "Describe")] == worker[("topic", "DescribeConfigs")] == ALL  # start-up catalog check
    # the groups a worker joins with pushes configured and alerts delivered (all three)
    settings = Settings(
        endpoints_file=K8S / "secrets.example" / "endpoints.yaml",
        alert_webhook_url="https://alerts.example.invalid/hook",
        alert_webhook_secret="s" * 16,
    )
    groups = set(group_topics(settings))
    assert worker[("group", "Read")] == groups == {"lienthong", "lienthong.deliver", "lienthong.notify"}
    assert set(worker) == {("topic", op) for op in ("Read", "Write", "Describe", "DescribeConfigs")} | {
        ("group", "Read")
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_operator_writes_only_where_a_redrive_or_repair_puts_records(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    by_user = users(rendered[overlay])
    operator, auditor = by_user["lienthong-operator"], by_user["lienthong-auditor"]
    assert operator[("topic", "Read")] == auditor[("topic", "Read")] == OPERATOR_READS
    assert operator[("topic", "Write")] == OPERATOR_WRITES
    assert ("topic", "Write") not in auditor
    groups = {"lienthong", "lienthong.deliver", "lienthong.notify"}
    assert operator[("group", "Describe")] == auditor[("group", "Describe")] == groups  # committed offsets only
    assert not any(kind == "group" and op == "Read" for kind, op in [*operator, *auditor])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_nobody_creates_alters_or_deletes(rendered: dict[str, list[dict[str, Any]]], overlay: str) -> None:
    for name, granted in users(rendered[overlay]).items():
        kinds_ops = set(granted)
        forbidden = {"Create", "Delete", "Alter", "AlterConfigs", "All", "ClusterAction"}
        assert not {op for _, op in kinds_ops} & forbidden, name
        assert not {kind for kind, _ in kinds_ops} & {"cluster", "transactionalId"}, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_workload_signs_in_as_its_own_user(rendered: dict[str, list[dict[str, Any]]], overlay: str) -> None:
    docs = rendered[overlay]
    expected = {
        ("StatefulSet", "lienthong-worker"): "lienthong-worker",
        ("Deployment", "lienthong-ops"): "lienthong-operator",
        ("CronJob", "lienthong-audit"): "lienthong-auditor",
    }
    names = {u["metadata"]["name"] for u in of_kind(docs, "KafkaUser")}
    for (kind, name), user in expected.items():
        spec = one(docs, kind, name)["spec"]
        pod = spec["jobTemplate"]["spec"]["template"]["spec"] if kind == "CronJob" else spec["template"]["spec"]
        env = {e["name"]: e for e in pod["containers"][0]["env"]}
        assert user in names
        assert env["LIENTHONG_KAFKA_SASL_USERNAME"]["value"] == user
        # the User Operator's Secret for that user, never another's
        assert env["LIENTHONG_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": user, "key": "password"}
