"""The KafkaTopic resources are the topic catalog (deploy/topics.yaml), generated and committed: one source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from schemas.agencies import default_agencies
from services.cli import main
from services.ops.k8s import CATALOG_CONFIGMAP, OUTPUT, render_topics
from services.ops.topics import load_catalog
from services.settings import REPO_ROOT

from .conftest import OVERLAYS, of_kind, one

CATALOG = REPO_ROOT / "deploy" / "topics.yaml"
COMMITTED = REPO_ROOT / OUTPUT
REPLICAS = 3  # both overlays run three brokers: replication factor 3, min.insync.replicas 2


def test_committed_topics_are_what_the_catalog_generates() -> None:
    generated = render_topics(CATALOG, list(default_agencies()), cluster="lienthong", replication_factor=REPLICAS)
    assert COMMITTED.read_text(encoding="utf-8") == generated, (
        f"{OUTPUT} is stale: run `lienthong topics k8s --replication-factor {REPLICAS} --output {OUTPUT}`"
    )


def test_the_cli_writes_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.delenv("LIENTHONG_TOPIC_PREFIX", raising=False)
    monkeypatch.delenv("LIENTHONG_TOPIC_CATALOG", raising=False)
    out = tmp_path / "topics.yaml"
    assert main(["topics", "k8s", "--replication-factor", str(REPLICAS), "--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8")
    assert main(["topics", "k8s", "--replication-factor", "9"]) == 2
    assert "--replication-factor must be 1 to 5" in capsys.readouterr().err


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_catalog_topic_has_its_kafkatopic_and_no_other(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    catalog = load_catalog(CATALOG, list(default_agencies()), REPLICAS)
    docs = rendered[overlay]
    topics = {t["spec"]["topicName"]: t for t in of_kind(docs, "KafkaTopic")}
    assert set(topics) == {spec.name for spec in catalog.topics}
    for spec in catalog.topics:
        got = topics[spec.name]
        assert got["metadata"]["labels"]["strimzi.io/cluster"] == "lienthong"
        assert (got["spec"]["partitions"], got["spec"]["replicas"]) == (spec.partitions, spec.replication_factor)
        assert {k: str(v) for k, v in got["spec"]["config"].items()} == spec.configs
    assert topics["lienthong.dossiers"]["spec"]["config"] == {"cleanup.policy": "compact", "min.insync.replicas": 2}
    # the workers check the cluster against the very file the KafkaTopics were made from
    configmap = one(docs, "ConfigMap", CATALOG_CONFIGMAP)
    assert configmap["data"]["topics.yaml"] == CATALOG.read_text(encoding="utf-8")
    assert yaml.safe_load(configmap["data"]["topics.yaml"])["version"] == 1
