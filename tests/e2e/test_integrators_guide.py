"""docs/integrators.md, run as written: its bash blocks, in order, against a real worker, with nothing but
bash, curl and openssl; every ``# expect: NNN`` is the HTTP status the command before it must print."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time
from datetime import datetime
from pathlib import Path

from connectors.signing import sign
from schemas.events import TZ
from services.settings import REPO_ROOT
from simulators.factory import LAND_TRANSFER, dossier_code, dossier_received, handoff_requested
from simulators.stack import PUSH_SECRET, Stack

GUIDE = REPO_ROOT / "docs" / "integrators.md"


def blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, re.DOTALL)


def test_the_guide_has_commands_and_expectations() -> None:
    script = "\n".join(blocks(GUIDE.read_text(encoding="utf-8")))
    assert "openssl dgst -sha256 -hmac" in script
    assert "--data-binary" in script
    assert len(re.findall(r"# expect: \d{3}", script)) >= 5


async def test_the_guides_commands_work_verbatim(kafka_bootstrap: str, tmp_path: Path) -> None:
    stack = Stack(kafka_bootstrap, tmp_path / "stack")
    await stack.start(act=False)
    try:
        now = datetime.now(TZ)
        code = dossier_code(4242, now) + "-guide"
        received = dossier_received(code, LAND_TRANSFER, now)
        one_stop = stack.agencies["one-stop"]
        assert (await one_stop.post_event(received)).status_code == 202
        handoff = handoff_requested(received, "land-check", "land-registry", handoff_id=f"{code}-land-check")
        assert (await one_stop.post_event(handoff)).status_code == 202

        body = b'{"specversion": "1.0", "id": "push-1"}'
        stamp = str(int(time.time()))
        (tmp_path / "push.json").write_bytes(body)
        key_id, secret = stack.keys["land-registry"]
        env = {
            **os.environ,
            "LIENTHONG_URL": stack.url,
            "LIENTHONG_KEY_ID": key_id,
            "LIENTHONG_SECRET": secret,
            "CODE": code,
            "HANDOFF": f"{code}-land-check",
            "PUSH_TS": stamp,
            "PUSH_SECRET": PUSH_SECRET,
            "PUSH_SIGNATURE": sign(PUSH_SECRET, stamp, body),
        }
        script = "\n".join(blocks(GUIDE.read_text(encoding="utf-8"))) + "\nverify_push\n"
        done = await asyncio.to_thread(
            subprocess.run,
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        got = re.findall(r"^HTTP (\d{3})$", done.stdout, re.MULTILINE)
        wanted = re.findall(r"# expect: (\d{3})", script)
        assert got == wanted, done.stdout
        assert "chữ ký đúng / signature ok" in done.stdout
        ledger = await stack.ledger(code)
        assert ledger["handoffs"][f"{code}-land-check"]["status"] == "completed"  # the cadastral form landed
    finally:
        await stack.stop()
