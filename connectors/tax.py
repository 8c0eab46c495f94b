"""The tax office's system (Chi cục thuế / regional tax team).

POST ``{url}/tct/inbound`` with the event wrapped as
``{"eventId": "<event id>", "payload": <event body>}`` (the tax system keys its inbox on
``eventId`` as well as on ``Idempotency-Key``). The body must be JSON; it is embedded
verbatim.
"""

from __future__ import annotations

from connectors.base import PushConnector, json_envelope
from connectors.models import OutboundEvent

__all__ = ["TaxConnector"]


class TaxConnector(PushConnector):
    """Push connector for the tax system.

    async with TaxConnector(endpoint) as conn: await conn.deliver(event)
    """

    path = "/tct/inbound"

    def build_body(self, event: OutboundEvent) -> bytes:
        return json_envelope({"eventId": event.event_id}, "payload", event.body)

    def content_type(self, event: OutboundEvent) -> str:
        return "application/json"
