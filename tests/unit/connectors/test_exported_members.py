from __future__ import annotations

import connectors


def test_all_names_exist_and_are_sorted_by_kind() -> None:
    for name in connectors.__all__:
        assert hasattr(connectors, name), name
    assert len(set(connectors.__all__)) == len(connectors.__all__)


def test_public_surface_is_pinned() -> None:
    assert set(connectors.__all__) == {
        "CONNECTOR_CLASSES",
        "SIGNATURE_HEADER",
        "TIMESTAMP_HEADER",
        "AgencyEndpoint",
        "AgencyRejected",
        "AgencyUnavailable",
        "Connector",
        "ConnectorError",
        "ConnectorKind",
        "ConnectorOptions",
        "DeliveryResult",
        "LandRegistryConnector",
        "LgspConnector",
        "OneStopConnector",
        "OutboundEvent",
        "Page",
        "PullConnector",
        "PushConnector",
        "Submit",
        "TaxConnector",
        "WebhookConnector",
        "build_connector",
        "parse_retry_after",
        "sign",
        "verify_signature",
    }


def test_exception_tree() -> None:
    assert issubclass(connectors.AgencyUnavailable, connectors.ConnectorError)
    assert issubclass(connectors.AgencyRejected, connectors.ConnectorError)
    assert not issubclass(connectors.AgencyRejected, connectors.AgencyUnavailable)
