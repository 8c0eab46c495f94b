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
        "city-dept-qldt",
        "police-loc-tho",
        "social-insurance",
    ):
        assert code in agencies
    assert agencies["dept-tnmt"].name_vi == "Sở Tài nguyên và Môi trường tỉnh Khánh Hòa"
    assert agencies.kind_of("ward-vinh-hai") == "ward"
    assert {a.code for a in agencies.of_kind("city-dept")} == {"city-dept-kinh-te", "city-dept-tnmt", "city-dept-qldt"}
    # the police of each ward registers residence (the birth group): one per ward, a kind of its own
    assert {a.code.removeprefix("police-") for a in agencies.of_kind("police")} == {
        a.code.removeprefix("ward-") for a in agencies.of_kind("ward")
    }
    for agency in agencies.values():
        assert unicodedata.is_normalized("NFC", agency.name_vi)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("version: 1\nagencies:\n  - {code: ward, kind: ward, name_vi: a, name_en: a}\n", "ward-<name>"),
        ("version: 1\nagencies:\n  - {code: taxes, kind: tax, name_vi: a, name_en: a}\n", "must have code"),
        ("version: 1\nagencies:\n  - {code: ward-loc-tho, kind: police, name_vi: a, name_en: a}\n", "police-<name>"),
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


def test_names_over_time_are_data_and_the_day_is_counted_in_vietnam() -> None:
    """Khánh Hòa's Department of Natural Resources and Environment merged into Agriculture and Environment
    from 1 March 2025 (the code stays, the name changes)."""
    from datetime import UTC, date, datetime

    agencies = default_agencies()
    assert agencies.name_vi("dept-tnmt", date(2025, 2, 28)) == "Sở Tài nguyên và Môi trường tỉnh Khánh Hòa"
    assert agencies.name_vi("dept-tnmt", date(2025, 3, 1)) == "Sở Nông nghiệp và Môi trường tỉnh Khánh Hòa"
    # 17:30 UTC on 28 February is 00:30 on 1 March in Asia/Ho_Chi_Minh: the new name
    assert agencies.name_vi("dept-tnmt", datetime(2025, 2, 28, 17, 30, tzinfo=UTC)).startswith("Sở Nông nghiệp")
    assert agencies.name_en("dept-khdt", date(2026, 1, 5)) == "Khanh Hoa Department of Finance"
    assert agencies.name_vi("land-registry") == agencies["land-registry"].name_vi  # never renamed
    assert agencies.name_vi("no-such-agency") == "no-such-agency"
    assert agencies.ceased("dept-tnmt", date(2026, 1, 5)) is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("until: 2025-06-30", "'until' and 'successor' go together"),
        ("until: 2025-06-30\n    successor: ward-nowhere", "unknown successor"),
        (
            "renamed:\n      - {from: 2025-07-01, name_vi: b, name_en: b, basis: x}\n"
            "      - {from: 2025-03-01, name_vi: c, name_en: c, basis: x}",
            "date order",
        ),
    ],
)
def test_a_bad_organisation_change_is_refused_when_loaded(tmp_path: Path, extra: str, message: str) -> None:
    path = tmp_path / "agencies.yaml"
    path.write_text(
        "version: 1\nagencies:\n  - code: ward-a\n    kind: ward\n    name_vi: a\n    name_en: a\n    " + extra + "\n"
        "  - {code: ward-b, kind: ward, name_vi: b, name_en: b}\n",
        encoding="utf-8",
    )
    with pytest.raises(SchemaError, match=message):
        load_agencies(path)


def test_an_agency_that_ceased_keeps_its_history() -> None:
    from datetime import date

    from schemas.agencies import Agency, AgencyRegistry

    ended = Agency(
        code="ward-a", kind="ward", name_vi="UBND phường A", name_en="A", until=date(2025, 6, 30), successor="ward-b"
    )
    registry = AgencyRegistry((ended, Agency(code="ward-b", kind="ward", name_vi="UBND phường B", name_en="B")))
    assert registry.ceased("ward-a", date(2025, 6, 30)) is None
    assert registry.ceased("ward-a", date(2025, 7, 1)) is ended
    assert registry.name_vi("ward-a", date(2026, 1, 1)) == "UBND phường A"  # old dossiers still print it
