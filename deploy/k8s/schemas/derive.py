"""Derive the committed CRD schemas (``deploy/k8s/schemas/*.json``) from upstream CustomResourceDefinition YAML.

Usage::

    python deploy/k8s/schemas/derive.py path/to/040-Crd-kafka.yaml path/to/...

For each CRD, the ``openAPIV3Schema`` of every served version is written as
``<group>_<kind>_<version>.json`` beside this script, with the ``description`` texts removed (they are most of
the bytes and nothing validates against them). Nothing else is changed: ``tests/unit/deploy`` turns these
into JSON Schema at test time. Where each input came from is recorded in ``SOURCES.md``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent


def strip_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        # "description" is a property *name* inside "properties" maps (e.g. a field called description): keep those
        return {
            k: (
                {name: strip_descriptions(sub) for name, sub in v.items()}
                if k == "properties" and isinstance(v, dict)
                else strip_descriptions(v)
            )
            for k, v in node.items()
            if k != "description"
        }
    if isinstance(node, list):
        return [strip_descriptions(v) for v in node]
    return node


def derive(crd_path: Path, out_dir: Path = HERE) -> list[Path]:
    written = []
    for crd in yaml.safe_load_all(crd_path.read_text(encoding="utf-8")):
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        spec = crd["spec"]
        for version in spec["versions"]:
            if not version.get("served"):
                continue
            schema = strip_descriptions(version["schema"]["openAPIV3Schema"])
            name = f"{spec['group']}_{spec['names']['kind']}_{version['name']}.json".lower()
            path = out_dir / name
            path.write_text(json.dumps(schema, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            written.append(path)
    return written


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    for arg in argv:
        for path in derive(Path(arg)):
            print(f"wrote {path.relative_to(HERE.parents[2])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
