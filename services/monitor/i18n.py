"""Words and formats of the dashboard: Vietnamese by default, English on request.

Times are shown in Asia/Ho_Chi_Minh as ``dd/mm/yyyy HH:MM`` in both languages; numbers use the
Vietnamese separators in Vietnamese (``1.234,5``) and the English ones in English (``1,234.5``).
Texts live in ``labels.yaml`` (Unicode NFC); agency names come from ``schemas/agencies.yaml`` and
procedure and step names from the workflows.

Usage::

    t = Texts("vi")
    t("nav_overview"), t.dt(instant), t.num(12.5), t.agency("tax"), t.agency_short("ward-loc-tho")
"""

from __future__ import annotations

import functools
import unicodedata
from datetime import date, datetime
from importlib import resources
from typing import Literal
from zoneinfo import ZoneInfo

import yaml

from schemas.agencies import default_agencies
from schemas.workcalendar import default_calendar
from schemas.workflows import Workflow, default_workflows

__all__ = ["LANGS", "TZ", "Lang", "Texts", "fold", "labels", "lang_of"]

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Short names for the matrix headers (the full name is in the tooltip).
_SHORT_VI = {"one-stop": "Một cửa", "land-registry": "VP Đăng ký đất đai", "tax": "Chi cục Thuế", "office": "Văn phòng"}
_SHORT_EN = {"one-stop": "One-stop", "land-registry": "Land registry", "tax": "Tax office", "office": "Office"}
_TRIM_VI = (("UBND phường ", "P. "), (" tỉnh Khánh Hòa", ""), (" thành phố Nha Trang", ""))
_TRIM_EN = ((" Ward People's Committee", " ward"), ("Khanh Hoa ", ""), ("Nha Trang City ", ""))


@functools.cache
def labels() -> dict[str, dict[str, str]]:
    text = resources.files("services.monitor").joinpath("labels.yaml").read_text(encoding="utf-8")
    raw: dict[str, dict[str, str]] = yaml.safe_load(text)
    return {
        key: {lang: unicodedata.normalize("NFC", value) for lang, value in pair.items()} for key, pair in raw.items()
    }


def _day_hours() -> float:
    """Office hours of one working day (the unit of "N working days")."""
    return default_calendar().day_length.total_seconds() / 3600


def fold(text: str) -> str:
    """Text compared without case or accents (``Nguyễn`` ~ ``nguyen``; ``đ`` ~ ``d``)."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def lang_of(value: str | None) -> Lang:
    return "en" if value == "en" else "vi"


@functools.cache
def _workflows_by_code() -> dict[str, Workflow]:
    latest: dict[str, Workflow] = {}
    for wf in default_workflows():
        if wf.procedure_code not in latest or wf.version > latest[wf.procedure_code].version:
            latest[wf.procedure_code] = wf
    return latest


class Texts:
    """The labels and formatters of one language."""

    def __init__(self, lang: Lang = "vi") -> None:
        self.lang = lang

    def __call__(self, key: str) -> str:
        pair = labels().get(key)
        return pair[self.lang] if pair is not None else key

    # -- numbers and times ------------------------------------------------------------------------
    def num(self, value: float | None, decimals: int = 1) -> str:
        if value is None:
            return "—"
        text = f"{value:,.{decimals}f}" if decimals else f"{round(value):,}"
        if decimals and "." in text:
            text = text.rstrip("0").rstrip(".")
        if self.lang == "vi":
            text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
        return text

    def pct(self, value: float | None) -> str:
        return "—" if value is None else f"{self.num(value, 1)}%"

    def span(self, hours: float | None) -> str:
        """Working time as offices count it: ``1,5 ngày`` from one working day up, ``3,5 giờ`` below it."""
        if hours is None:
            return "—"
        if abs(hours) < _day_hours():
            return f"{self.num(hours)} {self('unit_hours')}"
        days = round(hours / _day_hours(), 1)
        return f"{self.num(days)} {self('unit_day' if days == 1 else 'unit_days')}"

    @staticmethod
    def days(hours: float | None) -> float | None:
        """Working hours as working days (two decimals), for charts and exports."""
        return None if hours is None else round(hours / _day_hours(), 2)

    def workdays(self, hours: float | None) -> str:
        """Working hours as a plain number of working days (two decimals) for exports."""
        days = self.days(hours)
        return "" if days is None else self.num(days, 2)

    def dt(self, value: datetime | None) -> str:
        return "—" if value is None else f"{value.astimezone(TZ):%d/%m/%Y %H:%M}"

    def clock(self, unix: float) -> str:
        return f"{datetime.fromtimestamp(unix, TZ):%H:%M:%S}"

    def day(self, iso: str) -> str:
        """``2026-11-26`` -> ``26/11``; an ISO week ``2026-W48`` -> the date of its Monday, ``23/11``."""
        if "-W" in iso:
            year, week = iso.split("-W")
            monday = date.fromisocalendar(int(year), int(week), 1)
            return f"{monday:%d/%m}"
        _, month, day = iso.split("-")
        return f"{day}/{month}"

    def month(self, value: str) -> str:
        year, month = value.split("-")
        return f"{month}/{year}"

    # -- names ------------------------------------------------------------------------------------
    def agency(self, code: str | None) -> str:
        if code is None:
            return "—"
        agencies = default_agencies()  # the name in force today: an organisation change is data
        return agencies.name_vi(code) if self.lang == "vi" else agencies.name_en(code)

    def agency_short(self, code: str) -> str:
        short = (_SHORT_VI if self.lang == "vi" else _SHORT_EN).get(code)
        if short is not None:
            return short
        name = self.agency(code)
        for old, new in _TRIM_VI if self.lang == "vi" else _TRIM_EN:
            name = name.replace(old, new)
        return name

    def procedure(self, code: str) -> str:
        wf = _workflows_by_code().get(code)
        if wf is None:
            return code
        return wf.name_vi if self.lang == "vi" else wf.name_en

    def step(self, procedure_code: str, step_id: str | None) -> str:
        wf = _workflows_by_code().get(procedure_code)
        if step_id is None:
            return "—"
        try:
            step = wf.step(step_id) if wf is not None else None
        except Exception:  # noqa: BLE001 - WorkflowError: an old version's step; show its id
            step = None
        if step is None:
            return step_id
        return step.name_vi if self.lang == "vi" else step.name_en

    def event(self, event_type: str) -> str:
        return self("ev_" + event_type.removeprefix("vn.lienthong."))

    def verdict(
        self, verdict: str | None, outcome: str | None = None, open_: bool = False, paused: bool = False
    ) -> str:
        if outcome in ("returned", "restarted", "refused", "cancelled"):
            return self("outcome_" + outcome)
        if open_:
            if verdict == "late":
                return self("verdict_overdue")
            return self("verdict_paused") if paused else self("verdict_open")
        return self(verdict) if verdict else "—"

    def value(self, key: str, value: str) -> str:
        """A coded value in an event's details (an outcome, a recipient) in words; other values as they are."""
        if key in ("outcome", "result", "recipient", "requested_by"):
            found = labels().get("val_" + value)
            if found is not None:
                return found[self.lang]
        return value

    def status(self, status: str) -> str:
        return f"{self('status_' + status)} ({status})" if self.lang == "vi" else self("status_" + status)
