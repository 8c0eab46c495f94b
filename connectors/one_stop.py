"""The city's electronic one-stop software (Một cửa điện tử).

POST ``{url}/lienthong/events`` with the event body unchanged. The one-stop system
serves several units from one installation, so the receiving unit is named in
``X-Agency``; ``X-Dossier-Code`` lets it file the event without parsing the body.
"""

from __future__ import annotations

from connectors.base import PushConnector
from connectors.models import OutboundEvent

__all__ = ["OneStopConnector"]


class OneStopConnector(PushConnector):
    """Push connector for the one-stop software.

    async with OneStopConnector(endpoint) as conn: await conn.deliver(event)
    """

    path = "/lienthong/events"

    def extra_headers(self, event: OutboundEvent) -> dict[str, str]:
        return {"X-Agency": self.agency, "X-Dossier-Code": event.dossier_code}
