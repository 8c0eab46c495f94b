"""Build a connector from its configuration: ``kind`` picks the class from a table.

connector = build_connector(endpoint)               # push kinds
connector = build_connector(endpoint, submit=ingest)  # kind "pull"
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Unpack

from connectors.base import Connector, ConnectorOptions, PushConnector
from connectors.land_registry import LandRegistryConnector
from connectors.lgsp import LgspConnector
from connectors.models import AgencyEndpoint, ConnectorKind
from connectors.one_stop import OneStopConnector
from connectors.pull import PullConnector, Submit
from connectors.tax import TaxConnector
from connectors.webhook import WebhookConnector

__all__ = ["CONNECTOR_CLASSES", "build_connector"]

CONNECTOR_CLASSES: Mapping[ConnectorKind, type[Connector]] = MappingProxyType(
    {
        "one-stop": OneStopConnector,
        "land-registry": LandRegistryConnector,
        "tax": TaxConnector,
        "lgsp": LgspConnector,
        "webhook": WebhookConnector,
        "pull": PullConnector,
    }
)


def build_connector(
    endpoint: AgencyEndpoint,
    *,
    submit: Submit | None = None,
    cursor: str | None = None,
    on_cursor: Callable[[str], Awaitable[None]] | None = None,
    **options: Unpack[ConnectorOptions],
) -> Connector:
    """The connector for ``endpoint.kind``; ``submit``/``cursor``/``on_cursor`` are for pull only.

    The result is a ``PushConnector`` (has ``deliver``) or a ``PullConnector`` (has ``run``).
    """
    cls = CONNECTOR_CLASSES[endpoint.kind]
    if issubclass(cls, PullConnector):
        if submit is None:
            raise ValueError(f"agency {endpoint.agency!r}: a pull connector needs a submit callback")
        return cls(endpoint, submit, cursor=cursor, on_cursor=on_cursor, **options)
    if submit is not None or cursor is not None or on_cursor is not None:
        raise ValueError(f"agency {endpoint.agency!r}: submit/cursor/on_cursor only apply to kind 'pull'")
    assert issubclass(cls, PushConnector)
    return cls(endpoint, **options)
