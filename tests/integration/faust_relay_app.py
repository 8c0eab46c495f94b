"""A worker built by ``services.app.create_app`` plus one relay agent, run as a real process by tests.

python -m tests.integration.faust_relay_app IN_TOPIC OUT_TOPIC
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator

from services.app import create_app, run_worker
from services.settings import load_settings


def main() -> None:
    in_name, out_name = sys.argv[1], sys.argv[2]
    settings = load_settings()
    app = create_app(settings)
    source = app.topic(in_name, key_type=bytes, value_type=bytes, value_serializer="raw")
    sink = app.topic(out_name, key_type=bytes, value_type=bytes, value_serializer="raw")

    @app.agent(source)
    async def relay(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for event in stream.events():  # type: ignore[attr-defined]
            await sink.send(key=event.key, value=b"relayed:" + event.value)
            yield event.value

    sys.argv = [sys.argv[0]]
    run_worker(app, settings)


if __name__ == "__main__":
    main()
