"""Every adapter is registered and shaped alike; ccxt errors map to the right action."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from ccxt.base import errors as cx

from dexcex import sources, venues
from dexcex.domain import (
    AuthError,
    NotFound,
    OrderOutcomeUnknown,
    RateLimited,
    Rejected,
    TemporarilyUnavailable,
    VenueId,
)
from dexcex.venues.errors import translate
from dexcex.venues.mexc.constants import CODES as MEXC_CODES
from dexcex.venues.registry import VENUES

ADAPTER_MODULES = {"schemas", "parse", "client", "constants"}


def test_every_venue_is_registered() -> None:
    assert set(VENUES) == set(VenueId)
    for vid, cls in VENUES.items():
        assert cls.id is vid


@pytest.mark.parametrize(
    ("package", "names"), [(venues, {"mexc", "bybit"}), (sources, {"birdeye", "dexscreener"})]
)
def test_every_adapter_has_the_same_shape(package: object, names: set[str]) -> None:
    found = {m.name for m in pkgutil.iter_modules(package.__path__) if m.ispkg}  # type: ignore[attr-defined]
    assert names <= found
    for name in names:
        mods = {
            m.name
            for m in pkgutil.iter_modules(
                importlib.import_module(f"{package.__name__}.{name}").__path__
            )
        }  # type: ignore[attr-defined]
        assert mods >= ADAPTER_MODULES, (name, mods)


def annotated(
    exc: BaseException,
    code: str | None = None,
    status: int | None = None,
    retry: float | None = None,
) -> BaseException:
    exc.dexcex_code = code  # type: ignore[attr-defined]
    exc.dexcex_http_status = status  # type: ignore[attr-defined]
    exc.dexcex_retry_after = retry  # type: ignore[attr-defined]
    return exc


@pytest.mark.parametrize(
    ("exc", "placing", "expected"),
    [
        (annotated(cx.RateLimitExceeded("x"), retry=3.0), False, RateLimited),
        (cx.DDoSProtection("x"), False, RateLimited),
        (cx.RequestTimeout("x"), False, TemporarilyUnavailable),
        (cx.RequestTimeout("x"), True, OrderOutcomeUnknown),
        (cx.NetworkError("x"), True, OrderOutcomeUnknown),
        (annotated(cx.ExchangeError("x"), status=503), True, OrderOutcomeUnknown),
        (annotated(cx.ExchangeError("x"), status=503), False, TemporarilyUnavailable),
        (cx.AuthenticationError("x"), False, AuthError),
        (cx.OrderNotFound("x"), False, NotFound),
        (cx.InsufficientFunds("x"), True, Rejected),
        (cx.InvalidOrder("x"), True, Rejected),
        (annotated(cx.ExchangeError("x"), code="-2010", status=400), True, Rejected),
        (annotated(cx.BadRequest("x"), code="-2011", status=400), False, NotFound),
        (annotated(cx.ExchangeError("x"), status=400), False, Rejected),
        (ConnectionResetError("x"), True, OrderOutcomeUnknown),
    ],
)
def test_translation(exc: BaseException, placing: bool, expected: type[Exception]) -> None:
    err = translate(
        exc,
        venue="mexc",
        codes=MEXC_CODES,
        placing_order=placing,
        client_order_id="dxe0x" if placing else None,
    )
    assert type(err) is expected
    if isinstance(err, RateLimited) and getattr(exc, "dexcex_retry_after", None):
        assert err.retry_after_s == 3.0
    if getattr(exc, "dexcex_code", None) == "-2010":
        assert isinstance(err, Rejected) and err.reason == "duplicate_client_order_id"
