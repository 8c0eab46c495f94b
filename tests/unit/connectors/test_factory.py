from __future__ import annotations

from typing import Any, get_args

import pytest

from connectors import (
    CONNECTOR_CLASSES,
    ConnectorKind,
    LandRegistryConnector,
    LgspConnector,
    OneStopConnector,
    PullConnector,
    PushConnector,
    TaxConnector,
    WebhookConnector,
    build_connector,
)

from .conftest import make_endpoint


async def _submit(item: dict[str, Any]) -> None:
    return None


def test_every_kind_has_a_class() -> None:
    assert set(CONNECTOR_CLASSES) == set(get_args(ConnectorKind))


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("one-stop", OneStopConnector),
        ("land-registry", LandRegistryConnector),
        ("tax", TaxConnector),
        ("lgsp", LgspConnector),
        ("webhook", WebhookConnector),
    ],
)
def test_push_kinds(kind: str, cls: type[PushConnector]) -> None:
    connector = build_connector(make_endpoint(kind))
    assert type(connector) is cls
    assert connector.agency == make_endpoint(kind).agency


def test_pull_kind_needs_submit() -> None:
    with pytest.raises(ValueError, match="submit"):
        build_connector(make_endpoint("pull"))
    connector = build_connector(make_endpoint("pull"), submit=_submit, cursor="c7")
    assert isinstance(connector, PullConnector)
    assert connector.cursor == "c7"


def test_push_kind_refuses_pull_options() -> None:
    with pytest.raises(ValueError, match="pull"):
        build_connector(make_endpoint("tax"), submit=_submit)


def test_repr_names_agency_not_secret() -> None:
    text = repr(build_connector(make_endpoint("tax")))
    assert "tax" in text
    assert "s3cret" not in text
