from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dexcex import __version__
from dexcex.cli.main import main


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "dexcex.cli.main", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
        check=False,
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"dexcex {__version__}"


def test_config_show_json_redacts_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEXCEX_SOURCES__BIRDEYE__API_KEY", "birdeye-key-0123456789")
    assert main(["config", "show", "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert data["sources"]["birdeye"]["api_key"] == "**********"
    assert "birdeye-key-0123456789" not in out
    assert data["live"]["enabled"] is False


def test_invalid_config_is_one_line_exit_2_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[api]\nport = "eighty"\n', encoding="utf-8")
    proc = run_cli("--config", str(bad), "config", "show")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "api.port" in lines[0] and str(bad) in lines[0]


def test_db_upgrade_current_downgrade(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from alembic.script import ScriptDirectory

    from dexcex.store.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    scripts = ScriptDirectory.from_config(alembic_config(url))
    head = scripts.get_current_head()
    assert head is not None
    previous = scripts.get_revision(head).down_revision
    assert main(["db", "upgrade", "--url", url]) == 0
    assert f"schema at {head}" in capsys.readouterr().out
    assert main(["db", "current", "--url", url]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["db", "downgrade", "--url", url]) == 0  # one step
    assert f"schema at {previous}" in capsys.readouterr().out
    assert main(["db", "downgrade", "base", "--url", url]) == 0
    assert "schema at base" in capsys.readouterr().out
    assert main(["db", "current", "--url", url]) == 0
    assert "needs `dexcex db upgrade`" in capsys.readouterr().out


def test_db_uses_the_configured_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEXCEX_DATA_DIR", str(tmp_path / "data"))
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "data" / "dexcex.sqlite3").is_file()


def test_bad_database_url_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_cli("db", "current", "--url", "mysql://x@y/z")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "unsupported database 'mysql'" in proc.stderr


def test_unknown_command_exits_non_zero() -> None:
    assert main(["frobnicate"]) == 2


def test_paper_on_a_database_with_an_earlier_run_refuses_in_one_line(tmp_path: Path) -> None:
    from dexcex.sim.scenario import load_scenario
    from dexcex.store import Database
    from tests.factories import make_signal

    url = f"sqlite:///{tmp_path / 'earlier.sqlite3'}"
    db = Database.open(url, migrate=True)
    start = load_scenario("default").start_ms
    db.signals.add(make_signal(1, ts=start + 60_000))  # what a run cut short left
    db.close()
    proc = run_cli("paper", "--virtual-hours", "0.05", "--db", url)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "already holds 1 signals of these market hours" in lines[0]


def test_an_unknown_table_suggests_the_key_meant(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[signals]\nmin_confidence = 0.5\n", encoding="utf-8")
    proc = run_cli("--config", str(cfg), "config", "show")
    assert proc.returncode == 2
    assert "signals: unknown setting (did you mean core.signals?)" in proc.stderr
    cfg.write_text("[core.signals]\nmin_confidense = 0.5\n", encoding="utf-8")
    proc = run_cli("--config", str(cfg), "config", "show")
    assert "did you mean core.signals.min_confidence?" in proc.stderr


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    from tests.services import free_port

    url = f"postgresql+psycopg://u:p@127.0.0.1:{free_port()}/x"  # nothing listens there
    proc = run_cli("report", env={"DEXCEX_STORE__URL": url, "DEXCEX_LOG__LEVEL": "ERROR"})
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: cannot open the database: ")
    assert "Background on this error" not in proc.stderr and "config error" not in proc.stderr


def test_report_on_an_empty_database_says_what_to_run_first(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    proc = run_cli("report", "--out", str(out), env={"DEXCEX_DATA_DIR": str(tmp_path / "d")})
    assert proc.returncode == 1, proc.stderr
    assert "nothing to report" in proc.stderr and "dexcex paper" in proc.stderr
    assert not (out / "report.png").exists() and "Warning" not in proc.stderr


def test_a_busy_port_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {"DEXCEX_DATA_DIR": str(tmp_path / "d"), "DEXCEX_LOG__LEVEL": "ERROR"}
        proc = run_cli("demo", "--port", str(port), "--seconds", "5", env=env)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert f"port {port} on 127.0.0.1 is in use" in lines[0] and "--port" in lines[0]
    assert "Errno" not in proc.stderr
