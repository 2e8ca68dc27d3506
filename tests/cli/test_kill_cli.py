"""``dexcex kill`` as a trader uses it: with no engine running it is written to the
database and the next engine starts killed; with one running it goes through the
engine's API, and the switch outlives a restart until released."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from typer.testing import CliRunner

from dexcex.cli.main import app
from tests.running import RunningEngine, free_port
from tests.waiting import until_sync


def _risk(engine: RunningEngine) -> dict[str, object]:
    with urllib.request.urlopen(engine.url + "api/risk", timeout=10) as resp:
        body: dict[str, object] = json.loads(resp.read())
    return body


def _kill(tmp: Path, port: int, *args: str) -> str:
    env = {"DEXCEX_DATA_DIR": str(tmp / "data"), "DEXCEX_API__PORT": str(port)}
    res = CliRunner().invoke(app, ["kill", *args], env=env)
    assert res.exit_code == 0, res.output
    return res.output


def test_kill_without_an_engine_then_through_it_and_across_a_restart(tmp_path: Path) -> None:
    out = _kill(tmp_path, free_port())
    assert "kill switch ON (no engine answered: written to the database)" in out
    engine = RunningEngine(tmp_path, env={})
    try:
        ks = _risk(engine)["kill_switch"]
        assert isinstance(ks, dict) and ks["on"] and ks["reason"] == "manual"
        assert "kill switch off (the running engine)" in _kill(tmp_path, engine.port, "--release")
        assert not _risk(engine)["kill_switch"]["on"]  # type: ignore[index]
        out = _kill(tmp_path, engine.port, "--detail", "going to lunch")
        assert "kill switch ON (the running engine)" in out
    finally:
        engine.stop()
    again = RunningEngine(tmp_path, env={})
    try:
        ks = _risk(again)["kill_switch"]
        assert isinstance(ks, dict) and ks["on"] and ks["detail"] == "going to lunch"
    finally:
        again.stop()


def test_kill_through_the_engine_needs_its_token(tmp_path: Path) -> None:
    engine = RunningEngine(tmp_path, env={})
    try:
        (tmp_path / "data" / "api-token").write_text("not-the-token-at-all\n")
        env = {"DEXCEX_DATA_DIR": str(tmp_path / "data"), "DEXCEX_API__PORT": str(engine.port)}
        res = CliRunner().invoke(app, ["kill"], env=env)
        assert res.exit_code == 1 and "HTTP 401" in res.output, res.output
        assert not _risk(engine)["kill_switch"]["on"]  # type: ignore[index]
    finally:
        engine.stop()


def test_an_engine_the_command_cannot_reach_follows_the_database(tmp_path: Path) -> None:
    engine = RunningEngine(tmp_path, env={})
    try:
        # the page is elsewhere than the command looks: it writes the database instead
        out = _kill(tmp_path, free_port(), "--detail", "from a terminal")
        assert "written to the database" in out
        until_sync(lambda: bool(_risk(engine)["kill_switch"]["on"]), 30)  # type: ignore[index]
        assert _risk(engine)["kill_switch"]["detail"] == "from a terminal"  # type: ignore[index]
        _kill(tmp_path, free_port(), "--release")
        until_sync(lambda: not _risk(engine)["kill_switch"]["on"], 30)  # type: ignore[index]
    finally:
        engine.stop()
