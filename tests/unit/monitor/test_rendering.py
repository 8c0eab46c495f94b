"""Pages, charts, CSV, metrics and the OpenAPI document, rendered from the in-memory world."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.monitor import detail_pages, overview, pages
from services.monitor.charts import Series, chart, render_chart
from services.monitor.dossier import dossier_view
from services.monitor.exports import NEAR_DUE_HEADER, near_due_cells, to_csv
from services.monitor.html import Frame, render
from services.monitor.i18n import Texts, labels
from services.monitor.metrics import exposition
from services.monitor.openapi import PATHS, openapi_document
from services.monitor.technical import delivery_stats
from services.monitor.timeline import load
from services.stream.kafka import partition_of
from services.watchdog.state import workflow_of

from .conftest import NOW, World

VI, EN = Texts("vi"), Texts("en")


def test_every_label_has_both_languages_in_nfc() -> None:
    for key, pair in labels().items():
        assert isinstance(key, str)
        assert set(pair) == {"vi", "en"}, key
        assert all(unicodedata.is_normalized("NFC", text) and text for text in pair.values()), key


def test_times_and_numbers_read_the_vietnamese_way() -> None:
    assert VI.dt(datetime(2026, 11, 26, 3, 5, tzinfo=UTC)) == "26/11/2026 10:05"  # Asia/Ho_Chi_Minh
    assert EN.dt(datetime(2026, 11, 26, 3, 5, tzinfo=UTC)) == "26/11/2026 10:05"
    assert (VI.num(1234.5), EN.num(1234.5)) == ("1.234,5", "1,234.5")
    assert (VI.num(12.0), VI.pct(83.33), VI.num(None)) == ("12", "83,3%", "—")
    assert VI.agency("tax") == "Chi cục Thuế khu vực Nha Trang - Diên Khánh"
    assert (VI.agency_short("ward-loc-tho"), EN.agency_short("ward-loc-tho")) == ("P. Lộc Thọ", "Loc Tho ward")
    assert VI.step("1.004227.000.00.00.H42", "tax-assess").startswith("Xác định nghĩa vụ tài chính")


def frame(t: Texts, office: bool = True) -> Frame:
    return Frame(t, "vp.lan", "office" if office else "tax", office, "overview", "/monitor/", {}, 5, NOW)


@pytest.mark.parametrize("t", [VI, EN])
def test_pages_render_in_nfc_without_the_citizens_data(world: World, t: Texts) -> None:
    view = world.monitor.scoped(None)
    cal = world.ctx.calendar
    listed = [
        overview.overview_page(view, cal, t, [], None, []),
        pages.near_due_page(view, view.near_due(), t, {}),
        pages.overdue_page(view, view.overdue(), t, {}),
        pages.evaluation_page("2026-11", view.evaluation("2026-11", cal), t, {}, "2026-11"),
        pages.handoffs_page(view, [c for c in view.cycles if c.open], t, {}),
    ]
    state = world.monitor.dossier("HS-A")
    assert state is not None
    found = dossier_view(state, workflow_of(state, world.ctx), NOW, cal, world.monitor.timeline_of("HS-A"), None)
    assert found is not None
    listed.append(detail_pages.dossier_page(found, t, {}))
    bodies = [page.render(frame(t)) for page in listed] + [detail_pages.slip_print(found, t, NOW, {})]
    for page in listed:  # the live update swaps in the main block alone: the same content
        assert " ".join(page.main(t).split()) in " ".join(page.render(frame(t)).split())
    for html in bodies:
        assert unicodedata.is_normalized("NFC", html)
        assert "Nguyễn Thị Hồng" not in html
        assert "056190654321" not in html  # applicant, taxpayer ID
        assert "<script>" not in html
        assert " style=" not in html
        assert " onclick" not in html
    assert "Trần Văn Bình" in bodies[5]  # the officer who received the handoff
    if t.lang == "vi":
        assert "Ma trận độ trễ liên thông giữa các cơ quan" in bodies[0]
        assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in bodies[6]
        assert "giờ LV" not in " ".join(bodies)
        assert "Thư chết" not in " ".join(bodies)


def test_text_is_escaped() -> None:
    html = render("login.html", t=VI, error="<b>lỗi</b>", next='/monitor/"><script>')
    assert "<b>lỗi</b>" not in html
    assert "&lt;b&gt;lỗi&lt;/b&gt;" in html
    assert '"><script>' not in html


def test_the_timeline_keeps_no_personal_data(world: World) -> None:
    raw = world.timeline.get(partition_of(b"HS-A", 6), b"HS-A")
    assert b"056190654321" not in raw
    assert "Nguyễn Thị Hồng".encode() not in raw
    entries = load(raw)
    assert [e.type for e in entries][:2] == ["vn.lienthong.dossier.received", "vn.lienthong.handoff.requested"]


def test_charts_are_well_formed_svg_without_styles() -> None:
    svg = render_chart(
        chart(
            ["20/11", "21/11", "22/11"],
            [Series("Đã xong", [1, None, 3], "#888", "bar"), Series("Trung vị <giờ>", [2.5, None, 4], "#00f")],
            title="Xu hướng & trễ",
            fmt=VI.num,
        )
    )
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "style" not in svg
    assert "Trung vị &lt;giờ&gt;" in svg
    assert svg.count("<polyline") == 0  # a gap splits the line into single points


def test_csv_has_a_bom_and_plain_numbers_for_excel(world: World) -> None:
    rows = world.monitor.scoped(None).near_due()
    body = to_csv(NEAR_DUE_HEADER, [near_due_cells(r, VI) for r in rows], VI)
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body[3:].decode())))
    assert table[0][:3] == ["STT", "Loại", "Mã hồ sơ"]
    assert table[1][2] == "HS-D"
    assert table[1][7] == "26/11/2026 16:00"
    big = to_csv(("remaining",), [["1.234,5"], ["95,2%"], ["HS-1.2"]], VI).decode("utf-8-sig")
    assert "1234,5" in big
    assert "95,2%" in big
    assert "HS-1.2" in big


def test_metrics_follow_the_exposition_format(world: World) -> None:
    text = exposition(
        world.monitor.scoped(None), [], {}, world.monitor.deliveries(), world.counters, world.ctx.calendar
    )
    sample = re.compile(r'^[a-z_]+(\{([a-z_]+="[^"]*",?)*\})? -?[0-9.e+]+$')
    for line in text.splitlines():
        assert line.startswith("# ") or sample.match(line), line
    assert 'lienthong_handoffs_overdue{from="one-stop",to="land-registry"} 1.0' in text  # prometheus_client's floats


def test_metrics_parse_as_prometheus_text_and_no_gauge_carries_the_summary_quantile_label(world: World) -> None:
    deliveries = delivery_stats({"tax": 3}, {"tax": 1}, {"tax": 6})
    text = exposition(world.monitor.scoped(None), [], {}, deliveries, world.counters, world.ctx.calendar)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    gauges = [f for f in families.values() if f.type == "gauge"]
    assert gauges
    assert all("quantile" not in s.labels for f in gauges for s in f.samples)
    turnaround = families["lienthong_handoff_turnaround_working_hours"]
    assert {s.labels["q"] for s in turnaround.samples} == {"0.5", "0.9"}
    # counters keep their exported names: the parser strips _total from the family, never from a sample
    delivered = families["lienthong_deliveries"]
    assert delivered.type == "counter"
    assert {(s.name, s.labels["result"], s.value) for s in delivered.samples} == {
        ("lienthong_deliveries_total", "delivered", 3),
        ("lienthong_deliveries_total", "dead_lettered", 1),
    }
    assert "# TYPE lienthong_delivery_retries_total counter" in text
    assert 'lienthong_delivery_retries_total{agency="tax"} 2.0' in text
    assert {s.name for s in families["lienthong_relay_events"].samples} == {"lienthong_relay_events_total"}
    assert "lienthong_monitor_as_of_seconds" in families


def test_the_openapi_document_names_every_endpoint_and_resolves_its_refs() -> None:
    doc = openapi_document()
    assert set(PATHS) <= set(doc["paths"])
    schemas = doc["components"]["schemas"]
    refs = re.findall(r'"\$ref": "#/components/schemas/([A-Za-z_]+)"', str(doc).replace("'", '"'))
    assert refs
    assert all(ref in schemas for ref in refs)


def test_coded_values_in_the_timeline_read_as_words() -> None:
    assert VI.value("outcome", "result_returned") == "đã trả kết quả"
    assert EN.value("outcome", "objections_received") == "objections received"
    assert VI.value("requested_by", "citizen") == "công dân"
    assert VI.value("result", "Giấy chứng nhận đã chỉnh lý") == "Giấy chứng nhận đã chỉnh lý"  # free text as is
    assert VI.value("reason", "confirmed") == "confirmed"  # only coded fields are translated


def test_durations_read_in_working_days_and_weeks_by_their_monday() -> None:
    assert (VI.span(3.5), VI.span(12.0), EN.span(8.0), VI.span(None)) == ("3,5 giờ", "1,5 ngày", "1 day", "—")
    assert VI.day("2026-W49") == "30/11"
    assert EN.day("2026-W01") == "29/12"
