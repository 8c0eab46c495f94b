"""The committed JSON Schemas in schemas/json/ are current, and usable by integrators."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas import EVENT_TYPES, parse_event, schema_uri
from schemas.jsonschema import JSON_DIR, generate, main, render


def test_committed_schemas_are_current() -> None:
    expected = render()
    committed = {
        p.relative_to(JSON_DIR).as_posix(): p.read_text(encoding="utf-8") for p in JSON_DIR.rglob("*") if p.is_file()
    }
    stale = sorted(name for name in expected if committed.get(name) != expected[name])
    extra = sorted(set(committed) - set(expected))
    assert (stale, extra) == ([], []), (
        f"schemas/json is stale (changed: {stale}, unexpected: {extra}); "
        "run `python -m schemas.jsonschema` (or `lienthong schemas generate`) and commit the result"
    )


def test_one_schema_and_one_example_per_event() -> None:
    files = render()
    for event_type in EVENT_TYPES:
        schema = json.loads(files[f"{event_type}.schema.json"])
        example = json.loads(files[f"examples/{event_type}.json"])
        assert schema["$id"] == schema_uri(event_type) == example["dataschema"]
        assert schema["$schema"].endswith("2020-12/schema")
        assert schema["additionalProperties"] is False
        assert schema["properties"]["type"]["const"] == event_type
        assert schema["examples"] == [example]
        assert parse_event(example).type == event_type
        assert f"`{event_type}`" in files["README.md"]
    union = json.loads(files["event.schema.json"])
    assert set(union["discriminator"]["mapping"]) == set(EVENT_TYPES)


def test_generate_writes_files_and_removes_stale_ones(tmp_path: Path) -> None:
    (tmp_path / "vn.lienthong.old.schema.json").write_text("{}")
    written = generate(tmp_path)
    assert len(written) == len(render())
    assert not (tmp_path / "vn.lienthong.old.schema.json").exists()
    assert (tmp_path / "README.md").read_text(encoding="utf-8").startswith("# lienthong event schemas")


def test_main_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "out")]) == 0
    assert "wrote" in capsys.readouterr().out
    assert (tmp_path / "out" / "event.schema.json").is_file()
    assert main(["a", "b"]) == 2
    assert main(["--help"]) == 0
