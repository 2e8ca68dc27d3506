"""An optional tap on raw wire payloads, for debugging recordings (``record_raw``).

Connectors call ``tap(source, payload)`` with every frame or response body they are about
to parse when a tap is set; by default none is, and it costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["RawTap"]

RawTap = Callable[[str, str | bytes], None]
