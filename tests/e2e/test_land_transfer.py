"""A land-transfer dossier through the whole system: HTTP in, Kafka through, HTTP out, every agency simulated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
import pytest_asyncio

from schemas.events import TZ
from simulators.factory import LAND_TRANSFER, dossier_code, dossier_received, handoff_requested
from tests.support.system import System

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def system(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[System]:
    sys_ = System(kafka_bootstrap, Path(tmp_path_factory.mktemp("e2e")))
    try:
        await sys_.start()
        yield sys_
    finally:
        await sys_.stop()


async def test_dossier_goes_through_every_agency_and_result_reaches_the_one_stop_shop(system: System) -> None:
    one_stop = system.agencies["one-stop"]
    code = dossier_code(1, datetime.now(TZ))
    received = dossier_received(code, LAND_TRANSFER, datetime.now(TZ))
    assert (await one_stop.post_event(received)).status_code == 202
    handoff = handoff_requested(received, "land-check", "land-registry", workflow_version=2)
    response = await one_stop.post_event(handoff)
    assert response.status_code == 202, response.text

    def returned() -> bool:
        """The result is at the one-stop-shop, and the land registry's POST of it has been answered (the
        push can arrive before the answer: the time of the POST is known once its answer is)."""
        got = system.received("one-stop", {"vn.lienthong.result.ready"}, code)
        return bool(got) and got[0].event_id in system.posted

    await system.wait_for(returned, timeout_s=60, what="the result at the one-stop-shop")
    ready = system.received("one-stop", {"vn.lienthong.result.ready"}, code)[0]
    # results are returned at once: from the land registry's POST to the one-stop-shop's endpoint
    assert ready.wall - system.posted[ready.event_id] < 5.0

    # the one-stop-shop returned the result to the citizen and closed the dossier
    ledger = await system.wait_ledger(code, lambda body: body["status"] == "closed", what="the dossier closed")
    # every agency of the route did its part, and each got its work over HTTP
    assert system.received("land-registry", {"vn.lienthong.handoff.requested"}, code)
    assert system.received("tax", {"vn.lienthong.handoff.requested"}, code)
    assert system.received("tax", {"vn.lienthong.cadastral.sent"}, code)
    assert system.received("land-registry", {"vn.lienthong.obligation.paid"}, code)
    # the one-stop-shop never receives the taxpayer's full ID number
    assert not system.received("one-stop", {"vn.lienthong.cadastral.sent"}, code)
    assert set(ledger["completed_steps"]) >= {"intake", "land-check", "tax-assess", "payment", "register"}
    assert not [e for a in system.agencies.values() for e in a.errors], [
        e for a in system.agencies.values() for e in a.errors
    ]
