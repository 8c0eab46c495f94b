"""A generic webhook: POST the event body, unchanged, to ``url`` itself.

For agencies with no dedicated system adapter (e.g. a ward committee's small service);
the common headers (``Idempotency-Key``, ``X-Lienthong-Event-Type``, signature) are all
a receiver needs.
"""

from __future__ import annotations

from connectors.base import PushConnector

__all__ = ["WebhookConnector"]


class WebhookConnector(PushConnector):
    """Push connector for a plain webhook.

    async with WebhookConnector(endpoint) as conn: await conn.deliver(event)
    """
