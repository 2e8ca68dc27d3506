"""The page's defences, in front of every route: one ASGI layer and the WebSocket pump.

* **Allowed hosts** (DNS rebinding): a request whose ``Host`` is not 127.0.0.1,
  localhost, ::1 or a configured name (``api.allowed_hosts``) is refused — HTTP 403, and a
  WebSocket handshake is refused the same way (a close before accept is an HTTP 403).
* **Bodies**: a request body over ``api.max_body_bytes`` is answered 413 before it is
  read (from its ``Content-Length``; a chunked one is read no further than the limit),
  and a request that changes something (any method but GET, HEAD, OPTIONS under
  ``/api/``) without the right token is answered 401 before its body is read or parsed.
* **Headers** on every answer: a Content-Security-Policy without inline script or style
  and with ``frame-ancestors 'none'``, ``X-Frame-Options: DENY``, ``nosniff``,
  ``Referrer-Policy: no-referrer``.
* **WebSocket**: at most ``api.ws_max_clients`` at once; what a client sends is read (so
  the connection's keep-alive is answered) and capped in size and rate; a client that
  does not take a message within ``api.ws_send_timeout_s`` is dropped, so no client holds
  the event loop the REST answers share.

Every refusal is counted by why (``refused``; ``dexcex_guard_refused_total``).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections import Counter
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from dexcex.api.hub import Client
from dexcex.config.models import ApiSettings

__all__ = ["CSP", "Guard", "GuardLimits", "pump"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class GuardLimits:
    allowed_hosts: frozenset[str] = frozenset(_LOOPBACK)
    max_body_bytes: int = 65_536
    ws_max_clients: int = 50
    ws_max_message_bytes: int = 4_096
    ws_max_messages_per_min: int = 120
    ws_send_timeout_s: float = 5.0
    refused: Counter[str] = field(default_factory=Counter)
    ws_clients: int = 0

    @classmethod
    def of(cls, api: ApiSettings) -> GuardLimits:
        hosts = {*_LOOPBACK, *(h.lower() for h in api.allowed_hosts)}
        if api.host not in ("0.0.0.0", "::"):  # noqa: S104 - a name, not a bind
            hosts.add(api.host.lower())
        return cls(
            frozenset(hosts),
            api.max_body_bytes,
            api.ws_max_clients,
            api.ws_max_message_bytes,
            api.ws_max_messages_per_min,
            api.ws_send_timeout_s,
        )


def _host_of(scope: Scope) -> str:
    headers: dict[bytes, bytes] = dict(scope.get("headers") or [])
    raw = headers.get(b"host", b"").decode("latin-1").strip().lower()
    if raw.startswith("["):  # [::1]:8000
        return raw[1 : raw.find("]")] if "]" in raw else raw
    return raw.rsplit(":", 1)[0] if raw.count(":") == 1 else raw


class Guard:
    """The ASGI layer: hosts, bodies, the token before the body, headers, client cap."""

    def __init__(self, app: ASGIApp, token: str, limits: GuardLimits) -> None:
        self.app = app
        self.token = token.encode()
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        lim = self.limits
        if _host_of(scope) not in lim.allowed_hosts:
            lim.refused["host"] += 1
            await self._refuse(kind, send, 403, "this host name is not one the page answers to")
            return
        if kind == "websocket":
            await self._websocket(scope, receive, send)
            return
        await self._http(scope, receive, _with_headers(send))

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        lim = self.limits
        if lim.ws_clients >= lim.ws_max_clients:
            lim.refused["ws_clients"] += 1
            await send({"type": "websocket.close", "code": 1013})
            return
        lim.ws_clients += 1
        try:
            await self.app(scope, receive, send)
        finally:
            lim.ws_clients -= 1

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        lim = self.limits
        if scope["method"] in _SAFE:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > lim.max_body_bytes):
            lim.refused["body"] += 1
            await _answer(send, 413, f"request body over {lim.max_body_bytes} bytes")
            return
        if scope["path"].startswith("/api/") and not self._token_ok(headers):
            lim.refused["token"] += 1
            await _answer(
                send, 401, "this action needs the API token: Authorization: Bearer <token>"
            )
            return
        body = await _read_body(receive, lim.max_body_bytes)
        if body is None:
            lim.refused["body"] += 1
            await _answer(send, 413, f"request body over {lim.max_body_bytes} bytes")
            return
        await self.app(scope, _replay(body, receive), send)

    def _token_ok(self, headers: dict[bytes, bytes]) -> bool:
        auth = headers.get(b"authorization", b"")
        if not auth.lower().startswith(b"bearer "):
            return False
        return hmac.compare_digest(auth[7:].strip(), self.token)

    @staticmethod
    async def _refuse(kind: str, send: Send, status: int, why: str) -> None:
        if kind == "websocket":  # before accept: the server answers the handshake 403
            await send({"type": "websocket.close", "code": 1008, "reason": why})
        else:
            await _answer(_with_headers(send), status, why)


def _with_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            names = {k.lower() for k, _ in message.get("headers", [])}
            extra = [(k, v) for k, v in _HEADERS if k not in names]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        msg = await receive()
        if msg["type"] != "http.request":
            break
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not msg.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # the disconnect, when it comes

    return replayed


# --- the WebSocket: one client's stream -------------------------------------------------------


async def pump(ws: WebSocket, client: Client, first: str, lim: GuardLimits) -> None:
    """Send ``first`` (the snapshot), then what the hub queues for ``client``, while what
    the client sends is read and capped; returns when either side ends."""
    reader = asyncio.create_task(_read_client(ws, lim))
    try:
        if not await _send(ws, first, lim):
            return
        while not reader.done():
            if client.dropped:
                lim.refused["ws_behind"] += 1
                await ws.close(code=1013, reason="too slow: reconnect for a snapshot")
                return
            getter = asyncio.ensure_future(client.queue.get())
            await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                return
            if not await _send(ws, getter.result().decode(), lim):
                return
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)


async def _send(ws: WebSocket, text: str, lim: GuardLimits) -> bool:
    try:
        await asyncio.wait_for(ws.send_text(text), lim.ws_send_timeout_s)
    except TimeoutError:
        lim.refused["ws_slow"] += 1
        return False
    except (WebSocketDisconnect, RuntimeError, OSError):
        return False
    return True


async def _read_client(ws: WebSocket, lim: GuardLimits) -> None:
    """What the client sends: nothing is asked of it, so it is read and dropped — within
    the caps (then the connection is closed, and the refusal counted)."""
    window = time.monotonic()
    n = 0
    while True:
        msg: Message = await ws.receive()
        if msg["type"] == "websocket.disconnect":
            return
        size = len(msg.get("text") or "") + len(msg.get("bytes") or b"")
        now = time.monotonic()
        if now - window > 60:
            window, n = now, 0
        n += 1
        if size > lim.ws_max_message_bytes:
            lim.refused["ws_message_size"] += 1
            await ws.close(code=1009, reason="message too big")
            return
        if n > lim.ws_max_messages_per_min:
            lim.refused["ws_message_rate"] += 1
            await ws.close(code=1008, reason="too many messages")
            return
