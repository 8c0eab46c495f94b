"""Every rendered manifest validates offline: built-in kinds against Kubernetes' own JSON schemas (the
``kubernetes-validate`` package bundles them), custom resources against the CRD schemas of Strimzi and
prometheus-operator committed in ``deploy/k8s/schemas`` (derived from their CRDs: see SOURCES.md there).

Both are strict, as ``kubeconform -strict`` is: a field the schema does not know is an error, so a misspelled
field fails here instead of being dropped silently by the API server.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from .conftest import K8S, OVERLAYS, of_kind, one

# The oldest Kubernetes release the manifests are written for, and the newest the schemas bundle.
KUBERNETES_VERSIONS = ("1.31.0", "1.37.0")
CRD_GROUPS = ("kafka.strimzi.io/", "monitoring.coreos.com/")


def _strict(node: Any) -> Any:
    """A CRD's structural OpenAPI v3 schema as JSON Schema, rejecting unknown fields."""
    if isinstance(node, list):
        return [_strict(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _strict(v) for k, v in node.items() if not k.startswith("x-kubernetes-") and k != "nullable"}
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if "properties" in node and "additionalProperties" not in node:
        if not node.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    if "properties" in node:  # property names are data here, not schema keywords
        out["properties"] = {name: _strict(sub) for name, sub in node["properties"].items()}
    return out


@cache
def crd_validator(api_version: str, kind: str) -> jsonschema.protocols.Validator:
    group, version = api_version.split("/")
    path = K8S / "schemas" / f"{group}_{kind}_{version}.json".lower()
    if not path.exists():
        pytest.fail(f"no schema for {api_version} {kind} ({path.name}): derive it (SOURCES.md)", pytrace=False)
    schema = _strict(json.loads(path.read_text(encoding="utf-8")))
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return cls(schema)


def problems(doc: dict[str, Any]) -> list[str]:
    """What is wrong with one manifest (empty when it validates)."""
    where = f"{doc['kind']}/{doc['metadata']['name']}"
    if doc["apiVersion"].startswith(CRD_GROUPS):
        return [
            f"{where}: {'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in crd_validator(doc["apiVersion"], doc["kind"]).iter_errors(doc)
        ]
    out = []
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            out.append(f"{where} (Kubernetes {version}): {exc.message}")
        except kubernetes_validate.SchemaNotFoundError:
            out.append(f"{where}: no Kubernetes {version} schema for {doc['apiVersion']} {doc['kind']}")
    return out


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_manifest_validates_against_its_schema(rendered: dict[str, list[dict[str, Any]]], overlay: str) -> None:
    docs = rendered[overlay]
    assert len(docs) > 40
    found = [p for doc in docs for p in problems(doc)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_has_the_whole_deployment(rendered: dict[str, list[dict[str, Any]]], overlay: str) -> None:
    docs = rendered[overlay]
    kinds = {d["kind"] for d in docs}
    assert {
        "Kafka",
        "KafkaNodePool",
        "KafkaTopic",
        "KafkaUser",
        "StatefulSet",
        "PodDisruptionBudget",
        "Service",
        "ConfigMap",
        "Secret",
        "PrometheusRule",
        "PodMonitor",
        "CronJob",
        "Deployment",
    } <= kinds
    assert all(d["metadata"].get("namespace") == "lienthong" for d in docs)
    # KRaft: every node comes from a node pool, and the pools together hold controllers and brokers
    roles = {r for pool in of_kind(docs, "KafkaNodePool") for r in pool["spec"]["roles"]}
    assert roles == {"controller", "broker"}
    assert all(p["metadata"]["labels"]["strimzi.io/cluster"] == "lienthong" for p in of_kind(docs, "KafkaNodePool"))
    kafka = one(docs, "Kafka", "lienthong")
    assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False


def test_the_validators_reject_what_they_should(rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered["city"]
    worker = copy.deepcopy(one(docs, "StatefulSet", "lienthong-worker"))
    container = worker["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")  # misspelled: would be dropped silently
    assert any("readinesProbe" in p for p in problems(worker))

    user = copy.deepcopy(one(docs, "KafkaUser", "lienthong-worker"))
    user["spec"]["authorization"]["acls"][0]["operations"] = ["Reed"]
    assert problems(user)
    topic = copy.deepcopy(of_kind(docs, "KafkaTopic")[0])
    topic["spec"]["partition"] = topic["spec"].pop("partitions")
    assert any("partition" in p for p in problems(topic))
    kafka = copy.deepcopy(one(docs, "Kafka", "lienthong"))
    kafka["spec"]["kafka"]["listeners"][0]["type"] = "inside"
    assert problems(kafka)
    rule = copy.deepcopy(one(docs, "PrometheusRule", "lienthong"))
    rule["spec"]["groups"][0]["rules"][0]["for"] = "two minutes"
    assert problems(rule)
