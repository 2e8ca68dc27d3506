"""The token that mutating requests need: made once, kept in the data directory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["load_or_create_token"]

_NAME = "api-token"


def load_or_create_token(data_dir: Path) -> tuple[str, bool]:
    """(token, created now). The file is readable by its owner only."""
    path = data_dir / _NAME
    if path.is_file():
        token = path.read_text(encoding="utf-8").strip()
        if len(token) >= 16:
            return token, False
    data_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    return token, True
