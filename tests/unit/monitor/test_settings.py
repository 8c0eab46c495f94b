"""The monitor's settings block."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.settings import SettingsError, load_settings


def test_defaults_and_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_MONITOR_GROUPS", "reports, lienthong ,reports")
    settings = load_settings(data_dir=tmp_path, app_id="lienthong")
    assert settings.monitor_users_path == tmp_path / "monitor-users.json"
    assert settings.monitor_group_list == ["lienthong", "reports"]  # the worker's own group first, each once
    assert (settings.monitor_sample_s, settings.monitor_window, settings.monitor_cookie_secure) == (10.0, 10, False)


@pytest.mark.parametrize(
    ("name", "value"),
    [("MONITOR_SESSION_SECRET", "too-short"), ("MONITOR_WINDOW", "1"), ("MONITOR_METRICS_TOKEN", "short")],
)
def test_bad_values_fail_in_one_line(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(f"LIENTHONG_{name}", value)
    with pytest.raises(SettingsError, match=f"LIENTHONG_{name}"):
        load_settings()
