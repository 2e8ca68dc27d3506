"""ccxt's exceptions, translated into the project's error tree (one place for both venues).

ccxt raises a class per kind of failure; the venue's own error code, the HTTP status and
``Retry-After`` are attached to the exception where ccxt raises it (``AnnotateErrors``),
so translation never depends on the text of a message. Each venue adds its own codes
(e.g. MEXC's duplicate client order id) through ``VenueCodes``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import msgspec
from ccxt.base import errors as cx

from dexcex.domain import (
    AuthError,
    DexcexError,
    NotFound,
    OrderOutcomeUnknown,
    RateLimited,
    Rejected,
    TemporarilyUnavailable,
)

__all__ = ["AnnotateErrors", "VenueCodes", "translate"]


class VenueCodes(msgspec.Struct, frozen=True):
    """Venue error codes (as strings) with a meaning ccxt does not map precisely."""

    duplicate_client_id: frozenset[str] = frozenset()
    unknown_order: frozenset[str] = frozenset()
    insufficient_funds: frozenset[str] = frozenset()
    # A per-key endpoint limit (Bybit 10006 on HTTP 200): only that endpoint waits.
    endpoint_limit: frozenset[str] = frozenset()
    # The HTTP status of an IP ban (Bybit 403) and how long one lasts at least.
    ip_ban_status: int | None = None
    ip_ban_s: float = 0.0


def _annotate(exc: BaseException, status: Any, headers: Any, response: Any) -> None:
    if getattr(exc, "dexcex_annotated", False):
        return
    exc.dexcex_annotated = True  # type: ignore[attr-defined]
    exc.dexcex_http_status = int(status) if str(status).isdigit() else None  # type: ignore[attr-defined]
    code = None
    if isinstance(response, dict):
        for key in ("code", "retCode", "ret_code"):
            if response.get(key) is not None:
                code = str(response[key])
                break
    exc.dexcex_code = code  # type: ignore[attr-defined]
    exc.dexcex_retry_after = _retry_after(headers)  # type: ignore[attr-defined]


def _retry_after(headers: Any) -> float | None:
    """Seconds to wait, from ``Retry-After`` or Bybit's ``X-Bapi-Limit-Reset-Timestamp``
    (ms, on the venue's clock: bounded, so a skewed clock cannot make it absurd)."""
    if not isinstance(headers, dict):
        return None
    low = {str(k).lower(): v for k, v in headers.items()}
    try:
        if low.get("retry-after") is not None:
            return float(low["retry-after"])
        if low.get("x-bapi-limit-reset-timestamp") is not None:
            left = (int(low["x-bapi-limit-reset-timestamp"]) - time.time() * 1000) / 1000
            return min(max(left, 0.05), 60.0)
    except ValueError:
        return None
    return None


class AnnotateErrors:
    """Mix into a ccxt exchange class (before it in the MRO) to annotate its errors."""

    last_response_headers: Any

    def handle_errors(
        self,
        code: Any,
        reason: Any,
        url: Any,
        method: Any,
        headers: Any,
        body: Any,
        response: Any,
        request_headers: Any,
        request_body: Any,
    ) -> Any:
        try:
            return super().handle_errors(  # type: ignore[misc]
                code, reason, url, method, headers, body, response, request_headers, request_body
            )
        except cx.BaseError as exc:
            _annotate(exc, code, headers, response)
            raise

    def handle_http_status_code(
        self, code: Any, reason: Any, url: Any, method: Any, body: Any
    ) -> Any:
        try:
            return super().handle_http_status_code(code, reason, url, method, body)  # type: ignore[misc]
        except cx.BaseError as exc:
            _annotate(exc, code, self.last_response_headers, None)
            raise


_LOST_ANSWER = (cx.RequestTimeout, cx.NetworkError, cx.ExchangeNotAvailable)
# ccxt class → what the caller should do, most specific first.
_BY_CLASS: tuple[
    tuple[tuple[type[BaseException], ...], Callable[[str, float | None], DexcexError]], ...
] = (
    ((cx.RateLimitExceeded, cx.DDoSProtection), lambda m, r: RateLimited(m, retry_after_s=r)),
    ((cx.OrderNotFound,), lambda m, _r: NotFound(m)),
    (
        (cx.AuthenticationError, cx.PermissionDenied, cx.AccountSuspended),
        lambda m, _r: AuthError(m),
    ),
    ((cx.InsufficientFunds,), lambda m, _r: Rejected(m, reason="insufficient_funds")),
    ((cx.InvalidNonce,), lambda m, _r: TemporarilyUnavailable(m + " (clock skew or recvWindow)")),
    (
        (cx.BadSymbol, cx.InvalidOrder, cx.BadRequest, cx.ArgumentsRequired),
        lambda m, _r: Rejected(m, reason="invalid_order"),
    ),
)


def translate(
    exc: BaseException,
    *,
    venue: str,
    codes: VenueCodes,
    placing_order: bool = False,
    client_order_id: str | None = None,
) -> DexcexError:
    """Map one ccxt (or network) exception to the error the caller should act on.

    While an order is being placed, a lost or failed answer (timeout, connection loss,
    5xx) is ``OrderOutcomeUnknown``: the order may exist, look it up before retrying.
    """
    if isinstance(exc, DexcexError):
        return exc
    code = getattr(exc, "dexcex_code", None)
    status = getattr(exc, "dexcex_http_status", None)
    retry_after = getattr(exc, "dexcex_retry_after", None)
    text = f"{venue}: {type(exc).__name__}: {str(exc)[:300]}"
    if codes.ip_ban_status is not None and status == codes.ip_ban_status:
        # Refused before it was processed: nothing was placed; waiting is the only cure.
        return RateLimited(f"{text} (IP banned)", retry_after_s=codes.ip_ban_s)
    if code is not None:
        if code in codes.duplicate_client_id:
            return Rejected(text, reason="duplicate_client_order_id")
        if code in codes.unknown_order:
            return NotFound(text)
        if code in codes.insufficient_funds:
            return Rejected(text, reason="insufficient_funds")
    for classes, make in _BY_CLASS:
        if isinstance(exc, classes):
            return make(text, retry_after)
    unavailable = isinstance(exc, (*_LOST_ANSWER, TimeoutError, ConnectionError, OSError)) or (
        isinstance(exc, cx.ExchangeError) and status is not None and status >= 500
    )
    if unavailable:
        if placing_order and client_order_id:
            return OrderOutcomeUnknown(text, client_order_id)
        return TemporarilyUnavailable(text)
    if isinstance(exc, cx.ExchangeError):
        return Rejected(text, reason="exchange_error")
    return TemporarilyUnavailable(text)
