"""The status codes docs/one-glance.md names are the ones a real server answers with
(issue 21: the docs said 400 and close code 1008 where the server answers 422 and an
HTTP 403)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.api.test_ws_server import served

DOC = Path(__file__).resolve().parents[2] / "docs" / "one-glance.md"


def documented_error_codes() -> set[int]:
    text = DOC.read_text(encoding="utf-8")
    para = text[text.index("Errors are") :].split("\n\n", 1)[0]
    return {int(c) for c in re.findall(r"\b([45]\d\d)\b", para)}


async def test_the_documented_error_codes_are_the_real_ones(tmp_path: Path) -> None:
    async with served(tmp_path) as (port, _hub, _app, token):
        auth = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
            execute = "/api/signals/sig-00000001/execute"
            real = {
                (await c.post(execute, content=b"{not json", headers=auth)).status_code,
                (await c.post(execute, json={})).status_code,  # no token
                (await c.get("/api/status", headers={"host": "evil.example"})).status_code,
                (await c.get("/api/signals/no-such-signal")).status_code,
                (await c.post(execute, json={}, headers=auth)).status_code,  # 200
                (await c.post(execute, json={}, headers=auth)).status_code,  # again
                (await c.post(execute, content=b"x" * 70_000, headers=auth)).status_code,
                (await c.get("/api/signals", params={"limit": 0})).status_code,
            }
        errors = {code for code in real if code >= 400}
        assert errors == {401, 403, 404, 409, 413, 422}
        assert documented_error_codes() == errors
        with pytest.raises(InvalidStatus) as refused:  # a browser page from elsewhere
            async with websockets.connect(
                f"ws://127.0.0.1:{port}/ws", origin="http://evil.example"
            ):
                pass
        assert refused.value.response.status_code == 403
    security = DOC.read_text(encoding="utf-8").split("## Security", 1)[1]
    bullet = next(b for b in security.split("\n- ") if "another origin" in b)
    origin = bullet.split("Clients that send no Origin", 1)[0]  # what a refusal says
    assert "403" in origin and "1008" not in origin
