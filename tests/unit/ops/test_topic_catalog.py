from __future__ import annotations

from pathlib import Path

import pytest

from schemas.agencies import default_agencies
from services.ops.topics import DAY_MS, CatalogError, load_catalog, topic_name
from services.settings import REPO_ROOT

CATALOG = REPO_ROOT / "deploy" / "topics.yaml"


def test_shipped_catalog_is_valid_and_expands_outbound_topics_per_agency() -> None:
    agencies = list(default_agencies())
    catalog = load_catalog(CATALOG, agencies)
    names = [t.name for t in catalog.topics]
    assert len(names) == len(set(names))
    for agency in agencies:
        assert f"lienthong.outbound.{agency}" in names
    for required in ("lienthong.events", "lienthong.quarantine", "lienthong.deadletter", "lienthong.alerts"):
        assert required in names


def test_state_topics_are_compacted_and_streams_keep_a_retention() -> None:
    catalog = load_catalog(CATALOG, ["tax"])
    assert catalog.get("lienthong.dossiers").configs == {"cleanup.policy": "compact"}
    events = catalog.get("lienthong.events")
    assert events.configs["cleanup.policy"] == "delete"
    assert int(events.configs["retention.ms"]) == 400 * DAY_MS
    assert all(t.purpose for t in catalog.topics)


def test_replication_factor_from_settings_overrides_the_default() -> None:
    catalog = load_catalog(CATALOG, ["tax"], replication_factor=3)
    assert {t.replication_factor for t in catalog.topics} == {3}


def test_three_copies_need_two_in_sync_for_a_write_and_fewer_copies_keep_the_broker_default() -> None:
    three = load_catalog(CATALOG, ["tax"], replication_factor=3)
    assert {t.configs["min.insync.replicas"] for t in three.topics} == {"2"}
    five = load_catalog(CATALOG, ["tax"], replication_factor=5)
    assert {t.configs["min.insync.replicas"] for t in five.topics} == {"4"}
    one = load_catalog(CATALOG, ["tax"])
    assert all("min.insync.replicas" not in t.configs for t in one.topics)


def test_topic_name_template() -> None:
    assert topic_name("lienthong.outbound.{agency}", "tax") == "lienthong.outbound.tax"
    assert topic_name("lienthong.events") == "lienthong.events"
    with pytest.raises(ValueError, match="needs an agency"):
        topic_name("lienthong.outbound.{agency}")


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "topics.yaml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("version: 1\ntopics: []\n", "topics: List should have at least 1 item"),
        (
            "version: 1\ntopics:\n  - {name: a.b, cleanup_policy: shred, purpose: something long}\n",
            "topics.0.cleanup_policy",
        ),
        (
            "version: 1\ntopics:\n  - {name: a.b, cleanup_policy: compact, retention_days: 3,"
            " purpose: something long}\n",
            "retention_days applies to delete topics",
        ),
        (
            "version: 1\ntopics:\n  - {name: a.b, cleanup_policy: delete, purpose: something long}\n"
            "  - {name: a.b, cleanup_policy: delete, purpose: something long}\n",
            "duplicate topic names: a.b",
        ),
        (
            "version: 1\ntopics:\n  - {name: 'A B', cleanup_policy: delete, purpose: something long}\n",
            "topics.0.name",
        ),
        ("version: [\n", "not valid YAML"),
    ],
)
def test_invalid_catalog_names_the_entry(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message.replace(".", r"\.").replace("[", r"\[")):
        load_catalog(_write(tmp_path, body))


def test_missing_catalog_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="topic catalog not found"):
        load_catalog(tmp_path / "nope.yaml")


def test_prefix_renames_every_topic_for_another_environment() -> None:
    catalog = load_catalog(CATALOG, ["tax"], prefix="staging")
    names = {t.name for t in catalog.topics}
    assert "staging.events" in names
    assert "staging.outbound.tax" in names
    assert not any(n.startswith("lienthong.") for n in names)
