from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dexcex.domain import (
    Asset,
    CexMarket,
    Chain,
    DexIdentity,
    DexPool,
    DomainValidationError,
    Order,
    OrderLeg,
    OrderStatus,
    OrderType,
    RiskDecision,
    Side,
    TradingMode,
    VenueId,
    client_order_id_for,
    normalize_address,
)
from dexcex.domain.enums import Regime

T0 = 1_700_000_000_000


def test_evm_addresses_normalize_to_lowercase_and_solana_stays_as_is() -> None:
    pepe = "0x6982508145454Ce325dDbE47a25d4ec3d2311933"
    assert normalize_address(Chain.ETHEREUM, pepe) == pepe.lower()
    wif = "EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm"
    assert normalize_address(Chain.SOLANA, wif) == wif
    with pytest.raises(DomainValidationError, match="base58"):
        normalize_address(Chain.SOLANA, pepe)
    with pytest.raises(DomainValidationError, match="40 hex"):
        normalize_address(Chain.BSC, wif)


def test_asset_maps_venues_to_markets() -> None:
    a = Asset(
        id="wif",
        symbol="WIF",
        dex=(
            DexIdentity(
                Chain.SOLANA,
                "EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm",
                6,
                (DexPool("raydium", "EP2ib6dYdEeqD8MfE2ezHCxX3kP3K2eLKkirfPm5eyMx", "SOL"),),
            ),
        ),
        cex=(CexMarket(VenueId.MEXC, "WIF/USDT"), CexMarket(VenueId.BYBIT, "WIF/USDT")),
    )
    m = a.market(VenueId.BYBIT)
    assert m is not None and m.venue_symbol == "WIFUSDT" and m.base == "WIF"
    assert len(a.pools()) == 1
    with pytest.raises(DomainValidationError, match="one CEX market per venue"):
        Asset("x", "X", a.dex, (CexMarket(VenueId.MEXC, "X/USDT"),) * 2)
    with pytest.raises(DomainValidationError, match="unified"):
        CexMarket(VenueId.MEXC, "WIFUSDT")


@given(st.text(min_size=1, max_size=80), st.sampled_from(list(OrderLeg)), st.integers(0, 9))
def test_client_order_ids_are_venue_safe_and_deterministic(
    signal_id: str, leg: OrderLeg, attempt: int
) -> None:
    if not any(c.isascii() and c.isalnum() for c in signal_id):
        return
    cid = client_order_id_for(signal_id, leg, attempt)
    assert cid == client_order_id_for(signal_id, leg, attempt)
    assert 1 <= len(cid) <= 36
    assert all(c.isascii() and (c.isalnum() or c in "_-") for c in cid)


def test_order_invariants() -> None:
    o = Order(
        client_order_id="dxe0abc",
        venue=VenueId.MEXC,
        symbol="WIF/USDT",
        side=Side.BUY,
        type=OrderType.MARKET,
        qty=Decimal("10"),
        price=None,
        status=OrderStatus.CREATED,
        mode=TradingMode.PAPER,
        ts_created=T0,
    )
    assert o.remaining_qty == Decimal(10)
    with pytest.raises(DomainValidationError, match="limit order needs a price"):
        Order(
            "c1",
            VenueId.MEXC,
            "WIF/USDT",
            Side.BUY,
            OrderType.LIMIT,
            Decimal(1),
            None,
            OrderStatus.CREATED,
            TradingMode.PAPER,
            T0,
        )
    with pytest.raises(DomainValidationError, match="filled"):
        Order(
            "c1",
            VenueId.MEXC,
            "WIF/USDT",
            Side.BUY,
            OrderType.MARKET,
            Decimal(1),
            None,
            OrderStatus.CREATED,
            TradingMode.PAPER,
            T0,
            filled_qty=Decimal(2),
        )
    with pytest.raises(DomainValidationError, match="client_order_id"):
        Order(
            "bad id!",
            VenueId.MEXC,
            "WIF/USDT",
            Side.BUY,
            OrderType.MARKET,
            Decimal(1),
            None,
            OrderStatus.CREATED,
            TradingMode.PAPER,
            T0,
        )
    assert OrderStatus.FILLED.is_final and not OrderStatus.OPEN.is_final


def test_risk_decision_rejection_must_say_why() -> None:
    with pytest.raises(DomainValidationError, match="say why"):
        RiskDecision("s1", T0, False, 0.0, 0.0, None, None, None, Regime.CALM, ())
    with pytest.raises(DomainValidationError, match="size > 0"):
        RiskDecision("s1", T0, True, 0.0, 0.0, None, None, None, Regime.CALM, ("ok",))
