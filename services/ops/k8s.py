"""The topic catalog as Kubernetes resources: one Strimzi ``KafkaTopic`` per topic, and the catalog itself in a
``ConfigMap`` for the workers (``lienthong topics k8s``).

``deploy/topics.yaml`` stays the one source of truth: ``deploy/k8s/base/kafka/topics.yaml`` is this module's
output, committed, and ``tests/unit/deploy`` proves it equals what the catalog gives now.

Usage::

    text = render_topics(CATALOG_PATH, agencies, cluster="lienthong", replication_factor=3)
    Path("deploy/k8s/base/kafka/topics.yaml").write_text(text)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from services.ops.topics import Catalog, TopicSpec, load_catalog

__all__ = ["CATALOG_CONFIGMAP", "OUTPUT", "catalog_configmap", "kafka_topic", "render_topics"]

OUTPUT = Path("deploy") / "k8s" / "base" / "kafka" / "topics.yaml"
CATALOG_CONFIGMAP = "lienthong-topic-catalog"
PURPOSE_ANNOTATION = "lienthong/purpose"
STRIMZI_API = "kafka.strimzi.io/v1"


def _config_value(value: str) -> int | str:
    # Strimzi compares the spec with the broker's values; numbers written as numbers read as Kafka's docs do
    return int(value) if value.isdigit() else value


def kafka_topic(spec: TopicSpec, cluster: str) -> dict[str, Any]:
    """The Strimzi ``KafkaTopic`` of one catalog topic (its name is the topic name: both are DNS-1123 valid)."""
    return {
        "apiVersion": STRIMZI_API,
        "kind": "KafkaTopic",
        "metadata": {
            "name": spec.name,
            "labels": {"strimzi.io/cluster": cluster},
            "annotations": {PURPOSE_ANNOTATION: spec.purpose},
        },
        "spec": {
            "topicName": spec.name,
            "partitions": spec.partitions,
            "replicas": spec.replication_factor,
            "config": {key: _config_value(value) for key, value in sorted(spec.configs.items())},
        },
    }


def catalog_configmap(catalog_text: str) -> dict[str, Any]:
    """The catalog file itself, mounted into the workers (``LIENTHONG_TOPIC_CATALOG``): what they check the
    cluster against is what the ``KafkaTopic`` resources were made from."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": CATALOG_CONFIGMAP},
        "data": {"topics.yaml": catalog_text},
    }


def _command(cluster: str, replication_factor: int, prefix: str) -> str:
    args = f"--cluster {cluster} --replication-factor {replication_factor}"
    return f"lienthong topics k8s {args}" + (f" (LIENTHONG_TOPIC_PREFIX={prefix})" if prefix != "lienthong" else "")


def render_topics(
    catalog_path: Path,
    agencies: Sequence[str],
    cluster: str,
    replication_factor: int,
    prefix: str = "lienthong",
) -> str:
    """Every ``KafkaTopic`` of the catalog, then the catalog's ``ConfigMap``, as one YAML stream."""
    catalog: Catalog = load_catalog(catalog_path, agencies, replication_factor, prefix)
    header = (
        f"# GENERATED from deploy/topics.yaml by `{_command(cluster, replication_factor, prefix)}`: do not edit.\n"
        "# Edit the catalog and run the command again; tests/unit/deploy fails while this file differs.\n"
    )
    docs = [kafka_topic(spec, cluster) for spec in catalog.topics]
    docs.append(catalog_configmap(catalog_path.read_text(encoding="utf-8")))
    body = yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True, width=100, explicit_start=True)
    return header + body
