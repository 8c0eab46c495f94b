"""The demo prints an agency's error answer as a person reads it, not as escaped JSON."""

from __future__ import annotations

import json

import httpx

from simulators.agency import answer_text


def test_a_problem_answer_is_printed_readably() -> None:
    body = {
        "status": 409,
        "code": "already_open",
        "title": "step land-check already has a handoff",
        "message_vi": "Bước land-check đã được chuyển xử lý.",
        "message_en": "step land-check already has a handoff",
    }
    # as a server that escapes non-ASCII would send it: the reader still gets Vietnamese
    response = httpx.Response(409, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    text = answer_text(response)
    assert text == "409 already_open: Bước land-check đã được chuyển xử lý. / step land-check already has a handoff"
    assert "\\u" not in text


def test_an_answer_that_is_not_a_problem_keeps_its_status_and_start() -> None:
    response = httpx.Response(502, content=b"<html>\n<body>Bad   gateway</body></html>")
    assert answer_text(response) == "502 <html> <body>Bad gateway</body></html>"
