"""The workers' StatefulSet is configured the way services/settings.py reads it, and as the README runs it."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import pytest

from services.ops.k8s import CATALOG_CONFIGMAP
from services.ops.topics import load_catalog
from services.settings import REPO_ROOT, Settings, load_settings

from .conftest import OVERLAYS, of_kind, one

# being added to services/settings.py with the SASL_SSL/SCRAM client settings (issue 15)
KAFKA_SECURITY = {
    "LIENTHONG_KAFKA_SECURITY_PROTOCOL",
    "LIENTHONG_KAFKA_SASL_MECHANISM",
    "LIENTHONG_KAFKA_SASL_USERNAME",
    "LIENTHONG_KAFKA_SASL_PASSWORD",
    "LIENTHONG_KAFKA_SSL_CAFILE",
}
MADE_BY_STRIMZI = {"lienthong-cluster-ca-cert", "lienthong-worker", "lienthong-operator", "lienthong-auditor"}
PARTITIONS = load_catalog(REPO_ROOT / "deploy" / "topics.yaml").get("lienthong.events").partitions


def pod_specs(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for kind in ("StatefulSet", "Deployment"):
        for d in of_kind(docs, kind):
            out[d["metadata"]["name"]] = d["spec"]["template"]["spec"]
    for d in of_kind(docs, "CronJob"):
        out[d["metadata"]["name"]] = d["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return out


def worker_env(docs: list[dict[str, Any]]) -> dict[str, Any]:
    config = one(docs, "ConfigMap", "lienthong-worker")["data"]
    container = one(docs, "StatefulSet", "lienthong-worker")["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == [{"configMapRef": {"name": "lienthong-worker"}}]
    return {**config, **{e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_variable_is_a_setting_and_the_values_load(
    rendered: dict[str, list[dict[str, Any]]], overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = rendered[overlay]
    known = {"LIENTHONG_" + name.upper() for name in Settings.model_fields} | KAFKA_SECURITY
    for name, pod in pod_specs(docs).items():
        for container in pod["containers"]:
            names = {e["name"] for e in container.get("env", [])}
            assert names <= known, f"{name}: not a setting: {sorted(names - known)}"
    env = worker_env(docs)
    assert set(env) <= known, sorted(set(env) - known)
    for key, value in env.items():
        if isinstance(value, str) and key not in KAFKA_SECURITY:
            monkeypatch.setenv(key, value)
    settings = load_settings(
        instance_id="lienthong-worker-0", monitor_session_secret="x" * 64, monitor_metrics_token="t" * 48
    )
    assert settings.flow_set == {"relay", "watchdog", "monitor"}
    assert (settings.web_host, settings.web_port, settings.app_id) == ("0.0.0.0", 6066, "lienthong")
    assert env["LIENTHONG_INSTANCE_ID"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env["LIENTHONG_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_kafka_client_settings_match_the_listener(rendered: dict[str, list[dict[str, Any]]], overlay: str) -> None:
    docs = rendered[overlay]
    env = worker_env(docs)
    kafka = one(docs, "Kafka", "lienthong")
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    assert env["LIENTHONG_BOOTSTRAP_SERVERS"] == f"lienthong-kafka-bootstrap:{listener['port']}"
    assert listener["tls"] is True
    assert listener["authentication"]["type"] == "scram-sha-512"
    assert env["LIENTHONG_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_state_probes_and_files_are_where_the_settings_point(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    docs = rendered[overlay]
    env = worker_env(docs)
    sts = one(docs, "StatefulSet", "lienthong-worker")
    pod = sts["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    mounts = {m["name"]: PurePosixPath(m["mountPath"]) for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    claims = {c["metadata"]["name"] for c in sts["spec"]["volumeClaimTemplates"]}
    # RocksDB copies and the data dir on the pod's own persistent volume
    assert "data" in claims
    assert "data" not in volumes
    for key in ("LIENTHONG_STATE_DIR", "LIENTHONG_DATA_DIR"):
        assert PurePosixPath(env[key]).is_relative_to(mounts["data"]), key
    # each file setting lies in the volume that holds it
    for key, volume, source in (
        ("LIENTHONG_TOPIC_CATALOG", "catalog", ("configMap", CATALOG_CONFIGMAP)),
        ("LIENTHONG_KAFKA_SSL_CAFILE", "kafka-ca", ("secret", "lienthong-cluster-ca-cert")),
        ("LIENTHONG_CREDENTIALS_FILE", "agency-keys", ("secret", "lienthong-agency-keys")),
        ("LIENTHONG_ENDPOINTS_FILE", "endpoints", ("secret", "lienthong-endpoints")),
        ("LIENTHONG_MONITOR_USERS_FILE", "monitor-users", ("secret", "lienthong-monitor-users")),
    ):
        assert PurePosixPath(env[key]).parent == mounts[volume], key
        kind, name = source
        ref = volumes[volume][kind]["name" if kind == "configMap" else "secretName"]
        assert ref == name or ref.startswith(name + "-"), (key, ref)  # kustomize's content hash suffix
    # probes on the web port the settings give
    (port,) = container["ports"]
    assert port == {"name": "http", "containerPort": int(env["LIENTHONG_WEB_PORT"])}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["image"] == "lienthong:0.1.0"
    assert "command" not in container


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_replicas_disruption_budget_and_resources(rendered: dict[str, list[dict[str, Any]]], overlay: str) -> None:
    docs = rendered[overlay]
    sts = one(docs, "StatefulSet", "lienthong-worker")
    # two at least: each worker is a warm standby of all the state; more than the partitions would idle
    assert 2 <= sts["spec"]["replicas"] <= PARTITIONS
    pdb = one(docs, "PodDisruptionBudget", "lienthong-worker")
    assert pdb["spec"]["maxUnavailable"] == 1
    labels = sts["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert sts["spec"]["selector"]["matchLabels"].items() <= labels.items()
    resources = sts["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert "memory" in resources["limits"]
    assert "cpu" not in resources["limits"]  # a throttled worker misses its heartbeats
    secrets = {s["metadata"]["name"] for s in of_kind(docs, "Secret")}
    for name, pod in pod_specs(docs).items():
        refs = {v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}
        for container in pod["containers"]:
            refs |= {
                e["valueFrom"]["secretKeyRef"]["name"]
                for e in container.get("env", [])
                if "secretKeyRef" in e.get("valueFrom", {})
            }
        missing = refs - MADE_BY_STRIMZI - secrets
        assert not missing, f"{name}: Secrets nobody makes: {sorted(missing)}"
