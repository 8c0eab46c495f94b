from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from connectors import AgencyRejected, AgencyUnavailable, DeliveryResult

from .conftest import SECRET, make_endpoint, make_event


def test_endpoint_defaults_and_normalised_url() -> None:
    endpoint = make_endpoint(url="https://agency.example/base/")
    assert endpoint.url == "https://agency.example/base"
    assert endpoint.max_concurrency >= 1
    assert endpoint.timeout_s > 0


def test_endpoint_never_shows_its_secrets() -> None:
    endpoint = make_endpoint("lgsp")
    text = repr(endpoint) + str(endpoint) + endpoint.model_dump_json()
    assert SECRET not in text
    assert "client-secret-value" not in text


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"secret": "short"}, id="short-secret"),
        pytest.param({"url": "ftp://agency.example"}, id="not-http"),
        pytest.param({"kind": "fax"}, id="unknown-kind"),
        pytest.param({"agency": "Tax Office"}, id="bad-agency-code"),
        pytest.param({"max_attempts": 0}, id="no-attempts"),
        pytest.param({"timeout_s": 0}, id="zero-timeout"),
        pytest.param({"unexpected": 1}, id="extra-field"),
    ],
)
def test_endpoint_rejects_bad_config(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        make_endpoint(**overrides)


def test_lgsp_endpoint_needs_token_settings() -> None:
    with pytest.raises(ValidationError, match="token_url"):
        make_endpoint("lgsp", token_url=None)


def test_event_repr_hides_the_body() -> None:
    assert "NGUYEN" not in repr(make_event())


def test_delivery_result_raise_for_failure() -> None:
    DeliveryResult(ok=True, status=200, attempts=1).raise_for_failure()
    rejected = DeliveryResult(ok=False, status=422, attempts=1, error="bad", permanent=True)
    exhausted = DeliveryResult(ok=False, status=503, attempts=5, error="down")
    assert not rejected.exhausted
    assert exhausted.exhausted
    with pytest.raises(AgencyRejected, match="bad"):
        rejected.raise_for_failure()
    with pytest.raises(AgencyUnavailable, match="down") as info:
        exhausted.raise_for_failure()
    assert info.value.status == 503
