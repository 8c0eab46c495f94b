"""The image recipe, the compose file and the runbook agree with the code, without building or running anything:
the commands they run are real CLI commands, the settings they set exist, the files they name are there."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.cli import build_parser
from services.settings import REPO_ROOT, Settings

DEPLOY = REPO_ROOT / "deploy"
BUILD = (DEPLOY / "image" / "build").read_text()
ROOTFS_APP = (DEPLOY / "image" / "rootfs-app.sh").read_text()
KAFKA_NODE = (DEPLOY / "image" / "kafka-node").read_text()
RUNBOOK = (REPO_ROOT / "docs" / "operations.md").read_text()


def _defaults(value: Any) -> Any:
    """``${VAR:-default}`` as compose resolves it with VAR unset."""
    if isinstance(value, str):
        return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", value)
    if isinstance(value, list):
        return [_defaults(v) for v in value]
    if isinstance(value, dict):
        return {k: _defaults(v) for k, v in value.items()}
    return value


COMPOSE: dict[str, Any] = _defaults(yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text()))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
LIENTHONG = {name: s for name, s in SERVICES.items() if s["image"].startswith("localhost/lienthong:")}
BROKERS = {name: s for name, s in SERVICES.items() if s["image"].startswith("localhost/lienthong-kafka:")}
SETTINGS = {f"LIENTHONG_{name.upper()}" for name in Settings.model_fields}


def _parses(argv: list[str]) -> None:
    code: object = 0
    try:
        build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help exits 0; a wrong command exits 2
        code = exit_.code
    assert code == 0, f"`lienthong {shlex.join(argv)}` is not a lienthong command"


def test_compose_runs_three_brokers_the_catalog_and_two_workers() -> None:
    assert len(BROKERS) == 3
    assert LIENTHONG["topics"]["command"] == ["topics", "apply"]
    workers = [name for name, s in LIENTHONG.items() if s["command"] == ["worker"]]
    assert len(workers) == 2
    assert {"tools"} == set(LIENTHONG["admin"]["profiles"])
    assert {"demo"} == set(LIENTHONG["demo"]["profiles"])


@pytest.mark.parametrize("service", sorted(LIENTHONG))
def test_every_compose_command_is_a_lienthong_command(service: str) -> None:
    # the image's entrypoint is `tini -- lienthong`: a service's command is lienthong's arguments
    assert "--config.entrypoint lienthong" in BUILD
    _parses(LIENTHONG[service]["command"])


def test_every_lienthong_setting_named_exists() -> None:
    named = set(re.findall(r"--config\.env (LIENTHONG_[A-Z_]+)=", BUILD))
    for service in LIENTHONG.values():
        named |= {k for k in service.get("environment", {}) if k.startswith("LIENTHONG_")}
    assert named, "no setting found: the recipes changed shape"
    assert named - SETTINGS == set()


def test_the_workers_have_their_own_identity_and_state_and_share_the_rest() -> None:
    workers = [s for s in LIENTHONG.values() if s["command"] == ["worker"]]
    for key in ("LIENTHONG_INSTANCE_ID", "LIENTHONG_STATE_DIR"):
        assert len({w["environment"][key] for w in workers}) == len(workers), key
    assert len({w["environment"]["LIENTHONG_APP_ID"] for w in workers}) == 1
    assert len({w["ports"][0] for w in workers}) == len(workers)
    shared = [{v for v in w["volumes"] if v.endswith(":/var/lib/lienthong")} for w in workers]
    assert len(set.union(*shared)) == 1, "one data volume (keys, users, endpoints) for every worker"


def test_the_workers_probe_readiness_with_the_images_own_probe() -> None:
    for service in LIENTHONG.values():
        if service["command"] == ["worker"]:
            assert service["healthcheck"]["test"] == ["CMD", "healthcheck", "readyz"]
    assert "/usr/local/bin/healthcheck" in ROOTFS_APP
    assert '@worker.web.page("/readyz")' in (REPO_ROOT / "services" / "views.py").read_text()


def test_the_topic_catalog_the_image_names_is_the_one_it_ships() -> None:
    catalog = re.search(r"LIENTHONG_TOPIC_CATALOG=/opt/lienthong/app/(\S+)", BUILD)
    assert catalog is not None
    assert (REPO_ROOT / catalog.group(1)).is_file()
    archived = re.search(r"git archive --format=tar HEAD ([^|]+)\|", BUILD)
    assert archived is not None
    assert catalog.group(1) in archived.group(1).split()
    assert Settings().topic_catalog == REPO_ROOT / catalog.group(1)  # the same file as in a checkout


def test_every_runtime_dependency_is_pinned() -> None:
    deps = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = {
        line.split("==")[0].lower().replace("_", "-")
        for line in (DEPLOY / "constraints.txt").read_text().splitlines()
        if "==" in line
    }
    names = {re.split(r"[<>=!~\[ ]", d)[0].lower().replace("_", "-") for d in deps}
    assert names - pins == set()


def test_the_brokers_form_one_quorum_at_fixed_addresses() -> None:
    voters = {v.split("@")[1].split(":")[0]: v.split("@")[0] for v in _broker_env("KAFKA_VOTERS").split(",")}
    hosts = dict(h.split(":") for h in next(iter(BROKERS.values()))["extra_hosts"])
    for name, broker in BROKERS.items():
        env = broker["environment"]
        assert voters[name] == env["KAFKA_NODE_ID"]
        assert env["KAFKA_ADVERTISED"].startswith(f"PLAINTEXT://{name}:9092,")
        assert hosts[name] == broker["networks"]["default"]["ipv4_address"]
    for service in LIENTHONG.values():
        servers = service["environment"]["LIENTHONG_BOOTSTRAP_SERVERS"].split(",")
        assert {s.split(":")[0] for s in servers} == set(BROKERS)
        assert dict(h.split(":") for h in service["extra_hosts"]) == hosts
    for name in ("KAFKA_NODE_ID", "KAFKA_CLUSTER_ID", "KAFKA_VOTERS", "KAFKA_ADVERTISED", "KAFKA_HEAP"):
        assert name in KAFKA_NODE, f"{name} is set by compose but not read by deploy/image/kafka-node"


def _broker_env(key: str) -> str:
    values = {b["environment"][key] for b in BROKERS.values()}
    assert len(values) == 1, f"{key} differs between brokers"
    return values.pop()


_PLACEHOLDERS = {"<p:o>": "0:12", "<agency code>": "tax", "<old key id>": "lt_0123", "<command>": "--help"}


def _runbook_commands() -> list[str]:
    """Every `lienthong ...` in backquotes in the runbook, without option summaries in brackets."""
    found = re.findall(r"`(lienthong [^`]+)`", RUNBOOK)
    return sorted({c for c in found if "[" not in c and "|" not in c})


def test_the_runbook_names_commands() -> None:
    assert len(_runbook_commands()) >= 15


@pytest.mark.parametrize("command", _runbook_commands())
def test_every_command_of_the_runbook_exists(command: str) -> None:
    for placeholder, value in _PLACEHOLDERS.items():
        command = command.replace(placeholder, value)
    assert "<" not in command, f"an unknown placeholder in `{command}`"
    _parses(shlex.split(command)[1:])


def test_the_runbook_is_linked_from_the_readme() -> None:
    assert "docs/operations.md" in (REPO_ROOT / "README.md").read_text()
    assert Path(REPO_ROOT / "docs" / "operations.md").is_file()
