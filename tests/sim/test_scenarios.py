from __future__ import annotations

from pathlib import Path

import pytest

from dexcex.domain import ConfigError
from dexcex.sim.scenario import FaultKind, available_scenarios, load_scenario


def test_the_required_scenarios_exist_and_load() -> None:
    assert {"default", "calm", "faulty", "100-assets"} <= set(available_scenarios())
    for name in available_scenarios():
        sc = load_scenario(name)
        assert sc.name == name
        assert sc.asset_configs()


def test_default_reuses_the_configured_assets_and_load_has_a_hundred() -> None:
    ids = {a.id for a in load_scenario("default").asset_configs()}
    assert {"wif", "bonk", "popcat", "pepe", "cake", "pol"} <= ids
    many = load_scenario("100-assets").asset_configs()
    assert len(many) == 100 and len({a.dex[0].chain for a in many}) == 4


def test_faulty_schedules_every_fault_kind_on_every_target() -> None:
    sc = load_scenario("faulty")
    assert {f.kind for f in sc.faults} == set(FaultKind)
    assert {f.target for f in sc.faults} == {"mexc", "bybit", "birdeye", "dexscreener"}


def test_bad_scenarios_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[informed]\nlag_ms = [90000, 5000]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"lag_ms: low 90000\.0 > high 5000\.0"):
        load_scenario(bad)
    bad.write_text('name = "x"\n[[faults]]\nat_s = 1\nkind = "meteor"\ntarget = "mexc"\n')
    with pytest.raises(ConfigError, match=r"faults\.0\.kind"):
        load_scenario(bad)


def test_realistic_informed_wallets_also_trade_as_noise() -> None:
    from dexcex.sim.market.events import DexSwapEv
    from dexcex.sim.market.model import MarketSim
    from dexcex.sim.scenario import load_scenario

    sc = load_scenario("realistic")
    assert sc.informed.move_bps == (10.0, 40.0) and sc.informed.informed_from_noise
    m = MarketSim(sc.model_copy(update={"assets": ["wif"]}))
    swaps: list[DexSwapEv] = []
    m.sinks.append(lambda ev: swaps.append(ev) if isinstance(ev, DexSwapEv) else None)
    m.run_until(m.now + 2 * 3_600_000)
    informed = {s.owner for s in swaps if s.flow == "informed"}
    noise = {s.owner for s in swaps if s.flow == "noise"}
    assert len(informed) > 20  # not a handful of repeaters
    assert informed & noise  # the same wallets trade as noise
    assert 0.2 <= m.assets["wif"].p_move <= 0.9


def test_realism_is_on_by_default_and_a_realism_table_switches_each_off(tmp_path: Path) -> None:
    from dexcex.sim.scenario import Realism

    on = load_scenario("default").realism
    assert on == Realism()
    assert on.order_id_priority and on.unknown_after_create_ms > 0 and on.permission_gate
    assert on.bybit_order_limit_per_s and on.bybit_ip_limit_per_5s and on.recv_window
    assert on.ws_lifecycle and on.multi_swap_tx and on.inverted_pairs
    path = tmp_path / "quiet.toml"
    path.write_text(
        'name = "quiet"\nassets = ["wif"]\n\n[realism]\n'
        "order_id_priority = false\nunknown_after_create_ms = 0\npermission_gate = false\n"
        "bybit_order_limit_per_s = 0\nbybit_ip_limit_per_5s = 0\nrecv_window = false\n"
        "ws_lifecycle = false\nmulti_swap_tx = false\ninverted_pairs = false\n",
        encoding="utf-8",
    )
    assert load_scenario(path).realism == Realism.quiet()
    path.write_text('name = "x"\n[realism]\nno_such_switch = true\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="no_such_switch"):
        load_scenario(path)
