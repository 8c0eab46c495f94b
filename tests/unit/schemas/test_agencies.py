"""The agency registry is data, validated."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from schemas import SchemaError, default_agencies, load_agencies


def test_registry_holds_the_agencies_of_the_liaison() -> None:
    agencies = default_agencies()
    for code in (
        "one-stop",
        "land-registry",
        "tax",
        "office",
        "ward-loc-tho",
        "ward-vinh-hai",
        "dept-tnmt",
        "dept-khdt",
        "city-dept-kinh-te",
        "city-dept-tnmt",
    ):
        assert code in agencies
    assert agencies["dept-tnmt"].name_vi == "Sở Tài nguyên và Môi trường tỉnh Khánh Hòa"
    assert agencies.kind_of("ward-vinh-hai") == "ward"
    assert {a.code for a in agencies.of_kind("city-dept")} == {"city-dept-kinh-te", "city-dept-tnmt"}
    for agency in agencies.values():
        assert unicodedata.is_normalized("NFC", agency.name_vi)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("version: 1\nagencies:\n  - {code: ward, kind: ward, name_vi: a, name_en: a}\n", "ward-<name>"),
        ("version: 1\nagencies:\n  - {code: taxes, kind: tax, name_vi: a, name_en: a}\n", "must have code"),
        ("version: 1\nagencies:\n  - {code: Tax, kind: tax, name_vi: a, name_en: a}\n", "pattern"),
        (
            "version: 1\nagencies:\n  - {code: tax, kind: tax, name_vi: a, name_en: a}\n"
            "  - {code: tax, kind: tax, name_vi: b, name_en: b}\n",
            "twice",
        ),
        ("version: 1\nagencies: []\n", "at least 1"),
        ("not: [valid", "invalid agency registry"),
    ],
)
def test_invalid_registry_is_rejected(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "agencies.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(SchemaError, match=message):
        load_agencies(path)
