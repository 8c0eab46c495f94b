"""The small parts: storage and index keys, rules as data, clocks, contacts and email composition, surface."""

from __future__ import annotations

import json
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import services.watchdog as watchdog
from schemas import default_calendar
from services.settings import SettingsError, load_settings
from services.watchdog import FileClock, ManualClock, load_rules
from services.watchdog.alerts import ALERT_TYPE
from services.watchdog.clock import ClockFileError, write_clock_file
from services.watchdog.notifiers import Contacts, EmailNotifier, load_contacts
from services.watchdog.rules import RULES_PATH, RulesError, Threshold
from services.watchdog.store import MemoryStorage, index_bound, index_key, parse_index_key

from .conftest import vn


# -- storage and the index ----------------------------------------------------------------------------
def test_index_keys_sort_by_time_and_round_up() -> None:
    a = index_key(vn(2026, 3, 2, 9, 0, 0), "B")
    b = index_key(vn(2026, 3, 2, 9, 0, 0) + timedelta(milliseconds=1), "A")
    assert a < b  # sorted by time first (to the millisecond, rounded up: a wake-up is never early)
    assert index_key(vn(2026, 3, 2, 9) + timedelta(microseconds=1), "A") == index_key(
        vn(2026, 3, 2, 9, 0, 0) + timedelta(milliseconds=1), "A"
    )
    assert parse_index_key(b) == (datetime(2026, 3, 2, 2, 0, 0, 1000, tzinfo=UTC), "A")
    assert index_key(vn(2026, 3, 2, 9), "Z") < index_bound(vn(2026, 3, 2, 9)) <= b
    assert index_bound(vn(2030, 1, 1)) < b"~digest|"  # meta keys never fall in a time range


def test_memory_storage_scans_in_order_within_bounds() -> None:
    store = MemoryStorage(partitions=[0, 1])
    for key in (b"3", b"1", b"2", b"5"):
        store.put(0, key, key * 2)
    store.put(1, b"0", b"")
    store.delete(0, b"5")
    store.delete(0, b"nope")
    assert store.scan(0, b"1", b"4", 10) == [(b"1", b"11"), (b"2", b"22"), (b"3", b"33")]
    assert store.scan(0, b"", b"9", 2) == [(b"1", b"11"), (b"2", b"22")]
    assert store.get(1, b"0") == b""
    assert store.get(1, b"1") is None
    assert len(store) == 4


# -- rules as data ------------------------------------------------------------------------------------
def test_packaged_rules_load_and_are_versioned() -> None:
    rules = load_rules()
    assert rules.version >= 1
    assert [lv.level for lv in rules.overdue] == [1, 2, 3]
    assert rules.overdue[0].after_working_days == 0


def test_threshold_is_the_smallest_limit_within_the_budget() -> None:
    cal = default_calendar()
    both = Threshold(working_days=1, budget_fraction=0.25)
    assert both.amount(cal.days(2), cal) == timedelta(hours=4)  # 25 % of 16 h
    assert both.amount(cal.days(10), cal) == timedelta(hours=8)  # 1 day
    assert Threshold(working_hours=10).amount(timedelta(hours=4), cal) == timedelta(hours=4)
    assert Threshold(working_days=1).amount(timedelta(days=15), cal, wall=True) == timedelta(days=1)
    with pytest.raises(ValueError, match="at least one"):
        Threshold()


def test_bad_rules_fail_in_one_line(tmp_path: Path) -> None:
    text = RULES_PATH.read_text(encoding="utf-8").replace(
        "level: 2, after_working_days: 2", "level: 2, after_working_days: 0"
    )
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError, match="strictly later"):
        load_rules(path)
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "missing.yaml")


def test_substantive_reasons() -> None:
    comp = load_rules().compliance
    assert comp.substantive("Chờ kết quả giải quyết tranh chấp tại Tòa án nhân dân.")
    assert not comp.substantive("Khác.")
    assert not comp.substantive("không")
    assert not comp.substantive("Thiếu hồ sơ")  # too short to tell the citizen anything


# -- clocks -------------------------------------------------------------------------------------------
def test_manual_clock() -> None:
    clock = ManualClock(vn(2026, 3, 2, 8))
    clock.advance(hours=2)
    assert clock.now() == vn(2026, 3, 2, 10)
    with pytest.raises(ValueError, match="aware"):
        clock.set(datetime(2026, 3, 2))  # noqa: DTZ001 - the point of the test


def test_file_clock_is_frozen_or_flows_and_never_falls_back_to_real_time(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    clock = FileClock(path)
    with pytest.raises(ClockFileError, match="cannot read"):
        clock.now()
    write_clock_file(path, vn(2026, 3, 2, 8))
    assert clock.now() == vn(2026, 3, 2, 8)
    write_clock_file(path, vn(2026, 3, 2, 9, 30))
    assert clock.now() == vn(2026, 3, 2, 9, 30)
    write_clock_file(path, vn(2026, 3, 2, 10), rate=60.0, anchor=time.time() - 2)
    assert vn(2026, 3, 2, 10, 1, 59) <= clock.now() <= vn(2026, 3, 2, 10, 3)  # 2 s at x60
    path.write_text(json.dumps({"instant": "2026-03-02T08:00:00"}))
    with pytest.raises(ClockFileError, match="offset"):
        clock.now()


def test_clock_file_is_off_by_default_and_webhook_needs_a_secret() -> None:
    assert load_settings().clock_file is None
    with pytest.raises(SettingsError, match="SECRET"):
        load_settings(alert_webhook_url="http://127.0.0.1:9/hook")


# -- notifiers ----------------------------------------------------------------------------------------
def alert(**data: object) -> dict[str, object]:
    base = {
        "rule": "overdue",
        "level": 2,
        "dossier_code": "000.00.20.H41-260302-0001",
        "handoff_id": "H1",
        "responsible_agency": "tax",
        "audience": ["unit", "head"],
        "due": "2026-03-04T09:00:00+07:00",
        "reason_vi": "Quá hạn (cảnh báo cấp 2): phiếu chuyển H1 đã quá hạn xử lý.",
        "reason_en": "Overdue (level 2): handoff H1 passed its due.",
        "rules_version": 1,
    }
    return {"id": "a-1", "type": ALERT_TYPE, "subject": base["dossier_code"], "data": {**base, **data}}


def test_recipients_follow_the_audience(tmp_path: Path) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_text(
        "agencies:\n  tax: {unit: [mc@thue.vn], head: [ct@thue.vn]}\noffice: [vp@nt.vn]\nleadership: [pct@nt.vn]\n",
        encoding="utf-8",
    )
    contacts = load_contacts(path)
    assert contacts.recipients_of(alert()) == ["mc@thue.vn", "ct@thue.vn"]
    assert contacts.recipients_of(alert(audience=["head", "office", "leadership"])) == [
        "ct@thue.vn",
        "vp@nt.vn",
        "pct@nt.vn",
    ]
    assert contacts.recipients_of(alert(responsible_agency="ward-loc-tho")) == []
    assert contacts.recipients_of({"type": "vn.lienthong.digest.published", "data": {}}) == ["vp@nt.vn"]
    assert load_contacts(tmp_path / "none.yaml") == Contacts()


def test_alert_email_is_vietnamese_first_and_nfc() -> None:
    notifier = EmailNotifier("127.0.0.1", 25, "lienthong@nhatrang.example")
    msg = notifier.compose(alert(), ["ct@thue.vn"])
    assert msg["Subject"] == "[lienthong] Quá hạn (cấp 2): hồ sơ 000.00.20.H41-260302-0001 — tax"
    body = msg.get_content()
    assert body.index("Quá hạn") < body.index("Overdue")
    assert unicodedata.is_normalized("NFC", body)
    with pytest.raises(ValueError, match="not an alert"):
        notifier.compose({"type": "something"}, ["x@y.z"])


def test_public_surface() -> None:
    assert sorted(watchdog.__all__) == [
        "Clock",
        "FileClock",
        "ManualClock",
        "Outbox",
        "RuleSet",
        "SystemClock",
        "Watchdog",
        "WatchdogCounters",
        "install_watchdog",
        "load_rules",
    ]
    for name in watchdog.__all__:
        assert getattr(watchdog, name) is not None
