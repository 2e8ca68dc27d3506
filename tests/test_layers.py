"""The layer rules hold, and they bind: a forbidden import breaks them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# what the pure core must never pull in, even through a package's __init__
_HEAVY = ("sqlalchemy", "pydantic_settings", "httpx", "websockets", "ccxt", "structlog", "fastapi")


def _lint(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_the_core_imports_without_storage_or_network_libraries() -> None:
    probe = f"import sys, dexcex.core; print([m for m in {_HEAVY!r} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stdout


def test_the_import_contracts_are_kept() -> None:
    done = _lint(ROOT / "src", ROOT)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("where", "forbidden"),
    [
        ("domain/_probe.py", "import dexcex.config"),
        ("signals/_probe.py", "import dexcex.store"),
        ("venues/_probe.py", "from dexcex.api import app"),
        ("monitor/_probe.py", "import dexcex.cli"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(tmp_path: Path, where: str, forbidden: str) -> None:
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT / "src" / "dexcex", copy / "dexcex", ignore=shutil.ignore_patterns("*.pyc")
    )
    (copy / "dexcex" / where).write_text(forbidden + "\n")
    done = _lint(copy, tmp_path)
    assert done.returncode != 0
    assert "1 broken" in done.stdout, done.stdout[-3000:]
