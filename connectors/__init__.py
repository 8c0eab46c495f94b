"""Outbound (push) and inbound (pull) HTTP connectors to agency systems.

One module per agency system: ``one_stop``, ``land_registry``, ``tax``, ``lgsp``,
``webhook`` (push) and ``pull``; ``base`` holds the shared retrying, signing client.
Connectors know HTTP, not Kafka: the caller dead-letters a failed ``DeliveryResult``.

Exceptions (see ``connectors.errors``)::

    ConnectorError
     ├── AgencyUnavailable   retryable: connection error, timeout, 5xx, 429
     └── AgencyRejected      permanent: other 4xx -> dead-letter with the reason

Usage::

    async with build_connector(endpoint) as connector:
        result = await connector.deliver(event)   # never raises for a failed delivery
"""

from __future__ import annotations

from connectors.base import Connector, ConnectorOptions, PushConnector
from connectors.errors import AgencyRejected, AgencyUnavailable, ConnectorError
from connectors.factory import CONNECTOR_CLASSES, build_connector
from connectors.land_registry import LandRegistryConnector
from connectors.lgsp import LgspConnector
from connectors.models import AgencyEndpoint, ConnectorKind, DeliveryResult, OutboundEvent
from connectors.one_stop import OneStopConnector
from connectors.pull import Page, PullConnector, Submit
from connectors.retry import parse_retry_after
from connectors.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify_signature
from connectors.tax import TaxConnector
from connectors.webhook import WebhookConnector

__all__ = [
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
]
