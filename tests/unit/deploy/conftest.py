"""The Kubernetes manifests (deploy/k8s) rendered as a deployment would render them, offline.

Each overlay is copied to a temporary folder with the example Secrets (``deploy/k8s/secrets.example``) in
place of the real, git-ignored ``secrets/``, then built with the pinned kustomize that ``deploy/bootstrap.sh``
installs into ``.local/bin``. A missing kustomize fails the tests with one line; nothing is skipped.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.settings import REPO_ROOT

K8S = REPO_ROOT / "deploy" / "k8s"
OVERLAYS = ("city", "province")
KUSTOMIZE_VERSION = "v5.8.1"  # as deploy/bootstrap.sh pins it


def kustomize() -> str:
    pinned = REPO_ROOT / ".local" / "bin" / "kustomize"
    found = str(pinned) if pinned.exists() else shutil.which("kustomize")
    if found is None:
        pytest.fail(
            f"kustomize {KUSTOMIZE_VERSION} not found in .local/bin: `source deploy/bootstrap.sh` installs it"
            " (needs Go)",
            pytrace=False,
        )
    return found


def build(overlay: str, tmp: Path) -> list[dict[str, Any]]:
    tree = tmp / "k8s"
    if not tree.exists():
        shutil.copytree(K8S, tree, ignore=shutil.ignore_patterns("secrets"))
    secrets = tree / "overlays" / overlay / "secrets"
    if not secrets.exists():
        shutil.copytree(K8S / "secrets.example", secrets)
    done = subprocess.run(
        [kustomize(), "build", str(tree / "overlays" / overlay)], capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        pytest.fail(f"kustomize build {overlay} failed: {done.stderr.strip()}", pytrace=False)
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("k8s")
    return {overlay: build(overlay, tmp) for overlay in OVERLAYS}


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]
