"""Hardening of ccxt.pro's websocket message path.

Unguarded, ccxt.pro decodes each frame inside an asyncio done-callback: one frame that
is not JSON (or not protobuf) raises there and silently ends that connection's receive
loop. ``GuardedMessages`` wraps both places where a frame is decoded and handled, so a
bad frame becomes one counted, logged rejection and the stream goes on; a data frame
byte-identical to one just seen on the same connection is dropped as a duplicate.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from dexcex.edge.health import HealthTracker
from dexcex.edge.rawtap import RawTap

__all__ = ["GuardedMessages"]

_DUP_WINDOW = 512  # data frames remembered per connection


def _classify(exc: BaseException) -> str:
    name = type(exc).__name__
    if "Decode" in name or "JSON" in name or isinstance(exc, (UnicodeDecodeError, ValueError)):
        return "undecodable_frame"
    if isinstance(exc, (KeyError, TypeError, AttributeError, IndexError)):
        return "malformed_frame"
    return "handler_error"


class GuardedMessages:
    """Mix into a ccxt.pro exchange class (before it in the MRO).

    ``dexcex_tracker`` receives the rejections; ``is_data_frame`` says which raw frames
    carry market data (duplicates of control frames such as pongs are legitimate).
    """

    dexcex_tracker: HealthTracker | None = None
    dexcex_raw_tap: RawTap | None = None

    def is_data_frame(self, data: Any) -> bool:
        return isinstance(data, bytes) or (isinstance(data, str) and '"topic"' in data)

    def dexcex_reject(self, reason: str, detail: str = "") -> None:
        if self.dexcex_tracker is not None:
            self.dexcex_tracker.reject(reason, detail)

    def client(self, url: str) -> Any:
        c = super().client(url)  # type: ignore[misc]
        if not getattr(c, "dexcex_guarded", False):
            c.dexcex_guarded = True
            original = c.handle_text_or_binary_message
            recent: OrderedDict[int, None] = OrderedDict()

            def guarded(data: Any) -> None:
                if self.dexcex_raw_tap is not None:
                    self.dexcex_raw_tap(f"{getattr(self, 'id', 'ccxt')}:ws", data)
                if self.is_data_frame(data):
                    key = hash(data)
                    if key in recent:
                        self.dexcex_reject("duplicate_frame", str(data)[:120])
                        return
                    recent[key] = None
                    if len(recent) > _DUP_WINDOW:
                        recent.popitem(last=False)
                try:
                    original(data)
                except Exception as exc:
                    self.dexcex_reject(_classify(exc), f"{type(exc).__name__}: {exc}"[:200])

            c.handle_text_or_binary_message = guarded
        return c

    def handle_message(self, client: Any, message: Any) -> Any:
        try:
            return super().handle_message(client, message)  # type: ignore[misc]
        except Exception as exc:
            self.dexcex_reject(_classify(exc), f"{type(exc).__name__}: {exc}"[:200])
            return None
