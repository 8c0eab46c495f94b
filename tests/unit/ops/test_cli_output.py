"""What the CLI prints: one language policy (Vietnamese with English), times in Vietnam's zone marked +07,
tables that wrap at spaces and never cut a word, plain text when piped, --json unchanged."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from services import cli
from services.cliformat import Column, Table, both, reading, when
from services.relay.deadletter import DeadLetter, Letter
from services.watchdog import cli as watchdog_cli

ANSI = re.compile(r"\x1b\[")
CODE = "000.00.20.H41-261202-0042"
REASON_VI = "Cơ quan nhận chưa xác nhận tiếp nhận phiếu chuyển trong bốn giờ làm việc kể từ khi được giao"
REASON_EN = "The receiving agency has not acknowledged the handoff within four working hours of receiving it"


def rendered(table: Table, width: int, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", str(width))
    out = io.StringIO()  # not a terminal: as when piped
    table.print(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2026-12-02T06:05:41.123+00:00", "2026-12-02 13:05 +07"),  # a dead letter's UTC stamp
        ("2026-12-02T06:05:41Z", "2026-12-02 13:05 +07"),
        ("2026-12-02T13:05:00+07:00", "2026-12-02 13:05 +07"),  # an alert's own +07 time, same text
        (datetime(2026, 12, 2, 6, 5, tzinfo=UTC), "2026-12-02 13:05 +07"),
        (datetime(2026, 12, 2, 6, 5), "2026-12-02 13:05 +07"),  # naive: written in UTC by the stores
        (datetime(2026, 12, 2, 6, 5, tzinfo=UTC).timestamp(), "2026-12-02 13:05 +07"),
        ("2026-12-31T20:00:00+00:00", "2027-01-01 03:00 +07"),  # the day changes with the zone
        (None, "-"),
        ("not a time", "not a time"),  # shown as it is rather than hidden
    ],
)
def test_every_time_is_printed_in_vietnam_with_its_zone(value: Any, shown: str) -> None:
    assert when(value) == shown


def test_texts_are_vietnamese_with_english() -> None:
    assert both("chờ", "waiting") == "chờ\nwaiting"
    assert both("OK", "OK") == "OK"
    assert both(None, "only English") == "only English"
    assert Column("Cơ quan", "Agency").header == "Cơ quan\nAgency"


@pytest.mark.parametrize("width", [60, 100, 160])
def test_a_table_wraps_long_texts_at_spaces_and_never_cuts_a_word_or_a_code(
    width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = Table([Column("Hồ sơ", "Dossier", nowrap=True), Column("Lý do", "Reason")])
    table.add(CODE, both(REASON_VI, REASON_EN))
    text = rendered(table, width, monkeypatch)
    words = set(text.split())
    assert CODE in words
    assert set(REASON_VI.split()) | set(REASON_EN.split()) <= words  # every word whole, none cut
    assert {"Hồ", "sơ", "Dossier", "Lý", "do", "Reason"} <= words
    assert all(len(line) <= width for line in text.splitlines())
    assert not ANSI.search(text)  # no colour or cursor codes when not a terminal
    assert all(line == line.rstrip() for line in text.splitlines())  # no padding after the last column


def test_columns_are_aligned_by_display_width_with_vietnamese_text(monkeypatch: pytest.MonkeyPatch) -> None:
    table = Table([Column("Cơ quan", "Agency", nowrap=True), Column("Số", "Count", right=True)])
    table.add("Chi cục Thuế", 3)
    table.add("tax", 12)
    lines = rendered(table, 80, monkeypatch).splitlines()
    ends = {len(line) for line in lines if line.rstrip().endswith(("3", "12"))}
    assert len(ends) == 1  # the numbers end in the same column


def letter(ref: int, reason_vi: str, reason_en: str, failed_at: str) -> Letter:
    record = DeadLetter.build(
        payload=b"{}",
        kind="delivery",
        reason_en=reason_en,
        reason_vi=reason_vi,
        source_topic="lienthong.outbound.land-registry",
        event_id="4f0c3a5e-8d1b-4a47-9d2f-0b1e2c3d4e5f",
        event_type="vn.lienthong.handoff.requested",
        agency="land-registry",
    )
    record = DeadLetter(**{**record.__dict__, "failed_at": failed_at})
    return Letter("lienthong.deadletter", 0, ref, CODE.encode(), record)


def test_dlq_list_is_bilingual_with_times_in_vietnam(monkeypatch: pytest.MonkeyPatch) -> None:
    letters = [
        letter(3, "Hệ thống của cơ quan từ chối (422)", "refused by the agency's system (422)", "2026-12-02T06:05:41Z"),
        letter(4, "hết lượt thử lại", "retries exhausted", "2026-12-02T06:07:00+00:00"),
    ]
    marks = {("lienthong.deadletter", 0, 3): "2026-12-02T07:00:00+00:00"}
    text = rendered(cli.letters_table(letters, marks), 160, monkeypatch)
    assert "Lý do" in text
    assert "Reason" in text
    assert "Cơ quan" in text
    assert "Agency" in text
    assert "2026-12-02 13:05 +07" in text  # failed at, from UTC
    assert "2026-12-02 14:00 +07" in text  # redriven at
    assert "UTC" not in text
    assert "Z " not in text
    assert "chờ" in text
    assert "waiting" in text
    assert "redriven" in text
    assert "refused by the agency's system (422)" in text
    assert "Hệ thống của cơ quan từ chối (422)" in text
    assert "0:3" in text
    assert "land-registry" in text


def alert_doc(rule: str = "unacknowledged") -> dict[str, Any]:
    return {
        "id": "a-1",
        "type": "vn.lienthong.watchdog.alert",
        "time": "2026-12-02T13:05:00.5+07:00",
        "data": {
            "rule": rule,
            "level": 1,
            "dossier_code": CODE,
            "responsible_agency": "land-registry",
            "reason_vi": REASON_VI,
            "reason_en": REASON_EN,
        },
    }


def test_alerts_notices_and_the_late_report_print_times_with_their_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.watchdog.alerts import ALERT_TYPE

    doc = alert_doc()
    doc["type"] = ALERT_TYPE
    alerts = rendered(watchdog_cli.alerts_table([doc]), 160, monkeypatch)
    assert "2026-12-02 13:05 +07" in alerts
    assert "Quy tắc" in alerts
    assert "Rule" in alerts
    assert "unacknowledged" in alerts
    notice = {
        "id": "n-1",
        "data": {
            "kind": "apology",
            "dossier_code": CODE,
            "responsible_agency": "tax",
            "due": "2026-12-04T16:59:59Z",
            "new_appointment_at": "2026-12-09T10:00:00+07:00",
            "document": "Mẫu 04",
        },
    }
    notices = rendered(watchdog_cli.notices_table([notice]), 160, monkeypatch)
    assert "2026-12-04 23:59 +07" in notices
    assert "2026-12-09 10:00 +07" in notices
    assert "xin lỗi" in notices
    assert "apology" in notices
    report = {
        "month": "2026-11",
        "late_dossiers": 1,
        "with_apology": 0,
        "by_agency": {"tax": {"dossiers": 1, "handoffs": 1, "late_hours": 6.5}},
        "dossiers": [
            {
                "dossier_code": CODE,
                "due": "2026-11-20T16:59:59+00:00",
                "late_hours": 6.5,
                "causes": [
                    {
                        "agency": "tax",
                        "officer": "Nguyễn Văn A",
                        "step_id": "tax",
                        "handoff_id": "h1",
                        "late_hours": 6.5,
                    }
                ],
            }
        ],
    }
    summary, by_agency, dossiers = watchdog_cli.report_tables(report)
    assert "Hồ sơ trễ hạn" in summary
    assert "Late dossiers 2026-11: 1" in summary
    text = rendered(by_agency, 160, monkeypatch) + rendered(dossiers, 160, monkeypatch)
    assert "2026-11-20 23:59 +07" in text
    assert "Nguyễn Văn A" in text
    assert "+6.5h" in text


def test_alerts_list_json_is_unchanged(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from services.watchdog.alerts import ALERT_TYPE

    doc = alert_doc()
    doc["type"] = ALERT_TYPE
    monkeypatch.setattr(watchdog_cli, "_documents", lambda settings, name: [doc])
    args = cli.build_parser().parse_args(["alerts", "list", "--json"])
    assert args.func(None, args) == 0
    assert capsys.readouterr().out == json.dumps(doc, ensure_ascii=False) + "\n"


def test_progress_of_a_long_read_goes_to_stderr_as_counts_when_not_a_terminal() -> None:
    err = io.StringIO()
    with reading("lienthong.receipts", every_s=0.0, file=err) as advance:
        advance(5_000, 20_000)
        advance(20_000, 20_000)
    lines = err.getvalue().splitlines()
    assert lines[0] == "  … lienthong.receipts: 5,000/20,000 bản ghi đã đọc / records read (25 %)"
    assert len(lines) == 2
    quiet = io.StringIO()
    with reading("lienthong.alerts", file=quiet) as advance:  # a short read prints nothing
        advance(10, 10)
    assert quiet.getvalue() == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "--month", "2026-11", "late"],
        ["report", "late", "--month", "2026-11"],
        ["report", "--month", "2026-11", "late", "--agency", "tax"],
        ["report", "--agency", "tax", "late", "--month", "2026-11"],
    ],
)
def test_report_options_may_come_before_or_after_the_sub_command(argv: list[str]) -> None:
    args = cli.build_parser().parse_args(argv)
    assert args.month == "2026-11"
    assert args.func is watchdog_cli.cmd_report
    assert args.agency in (None, "tax")
    if "--agency" in argv:
        assert args.agency == "tax"


def test_alerts_and_notices_options_may_come_before_the_sub_command() -> None:
    args = cli.build_parser().parse_args(["alerts", "--agency", "tax", "--json", "list", "--rule", "overdue"])
    assert (args.agency, args.json, args.rule) == ("tax", True, "overdue")
    args = cli.build_parser().parse_args(["notices", "--dossier", CODE, "list"])
    assert args.dossier == CODE


def test_report_late_without_a_month_says_how_to_ask(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "late"]) == 2
    err = capsys.readouterr().err
    assert "--month YYYY-MM" in err
    assert "lienthong report late --month 2026-11" in err
