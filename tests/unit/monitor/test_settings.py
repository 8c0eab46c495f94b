"""The monitor's settings block."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.monitor.api import metrics_refusal
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


def test_metrics_without_a_token_are_for_this_machine_only() -> None:
    assert metrics_refusal(None, None, "127.0.0.1") is None
    assert metrics_refusal(None, None, "::1") is None
    refused = metrics_refusal(None, None, "10.0.0.7")
    assert refused is not None
    assert refused[0] == 403
    assert "LIENTHONG_MONITOR_METRICS_TOKEN" in refused[2]


def test_metrics_with_a_token_are_for_whoever_presents_it() -> None:
    token = "prometheus-scraper-token-0001"
    assert metrics_refusal(token, f"Bearer {token}", "10.0.0.7") is None
    for given in (None, "Bearer wrong", token[:-1], "Bearer chữ-ký-sai"):
        refused = metrics_refusal(token, given, "127.0.0.1")  # the token is required from this machine too
        assert refused is not None
        assert refused[0] == 401
