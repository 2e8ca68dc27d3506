"""``dexcex doctor`` against the simulator (realism on): a trade-only key passes, a
withdraw-enabled one is warned about, a clock 10 s off fails in one clear line."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from dexcex.cli.main import main
from dexcex.sim.scenario import AccountSpec, load_scenario
from dexcex.sim.world import SimWorld, run_sim

TRADE_ONLY = ("trade-key", "trade-secret")
WITHDRAW = ("withdraw-key", "withdraw-secret")


@contextmanager
def sim_in_thread() -> Iterator[SimWorld]:
    """The simulator on its own loop in a thread: the command runs its own event loop."""
    sc = load_scenario("default").model_copy(
        update={
            "accounts": [
                AccountSpec(api_key=TRADE_ONLY[0], api_secret=TRADE_ONLY[1]),
                AccountSpec(
                    api_key=WITHDRAW[0],
                    api_secret=WITHDRAW[1],
                    permissions=("read", "trade", "withdraw"),
                ),
            ]
        }
    )
    box: dict[str, Any] = {}
    ready = threading.Event()

    async def serve() -> None:
        async with run_sim(sc) as world:
            box.update(world=world, loop=asyncio.get_running_loop(), stop=asyncio.Event())
            ready.set()
            await box["stop"].wait()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    assert ready.wait(60), "the simulator did not start"
    try:
        yield box["world"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(30)


def doctor(
    world: SimWorld, tmp: Path, key: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> int:
    urls = world.urls
    cfg = tmp / "dexcex.toml"
    cfg.write_text(
        "".join(
            f'[venues.{v}]\nrest_url = "{urls[v + "_rest"]}"\nws_url = "{urls[v + "_ws"]}"\n'
            "ccxt_throttle = false\n"
            for v in ("mexc", "bybit")
        ),
        encoding="utf-8",
    )
    for v in ("MEXC", "BYBIT"):
        monkeypatch.setenv(f"DEXCEX_VENUES__{v}__API_KEY", key[0])
        monkeypatch.setenv(f"DEXCEX_VENUES__{v}__API_SECRET", key[1])
    return main(["--config", str(cfg), "doctor"])


def lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [ln for ln in capsys.readouterr().out.splitlines() if ln.strip()]


def test_doctor_on_the_simulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with sim_in_thread() as world:
        assert world.scenario.realism.permission_gate and world.scenario.realism.recv_window
        code = doctor(world, tmp_path, TRADE_ONLY, monkeypatch)
        out = lines(capsys)
        assert code == 0, "\n".join(out)
        for venue in ("mexc", "bybit"):
            mine = [ln for ln in out if ln.split()[1:2] == [venue]]
            names = {ln.split()[2] for ln in mine}
            assert {"reachable", "time", "key", "markets", "size", "balance"} <= names, mine
            assert all(ln.startswith("OK") for ln in mine), mine
        assert out[-1].endswith("0 failed, 0 warnings")

        code = doctor(world, tmp_path, WITHDRAW, monkeypatch)
        out = lines(capsys)
        assert code == 0, "\n".join(out)  # a warning, not a failure
        warned = [ln for ln in out if ln.startswith("WARN")]
        assert len(warned) == 2 and all("can WITHDRAW" in ln for ln in warned), out

        world.clock_offset_ms = 10_000  # the venues' clocks run 10 s ahead of this host
        code = doctor(world, tmp_path, TRADE_ONLY, monkeypatch)
        out = lines(capsys)
        assert code == 1
        failed = [ln for ln in out if ln.startswith("FAIL")]
        assert failed and all("time skew" in ln and "clock +10." in ln for ln in failed), out
        assert "sync this host (NTP)" in failed[0]
        assert len(failed) == 2  # one line per venue, nothing else fails: ccxt signs around it

        world.clock_offset_ms = 0
        monkeypatch.setenv("DEXCEX_CORE__RISK__ORDER_NOTIONAL_USD", "0.5")  # under minimums
        code = doctor(world, tmp_path, TRADE_ONLY, monkeypatch)
        out = lines(capsys)
        assert code == 1
        failed = [ln for ln in out if ln.startswith("FAIL")]
        assert failed and all(
            ln.split()[2] == "size" and "under the minimum" in ln for ln in failed
        )
