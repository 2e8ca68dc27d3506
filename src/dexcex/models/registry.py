"""Model files: plain data in skops format, named by the registry with their SHA-256.

A model file holds only builtins and NumPy arrays (a LightGBM model as its text, a
logistic model as its coefficients, the calibration as its points), so it is loaded
with skops and *no* extra trusted types (skops refuses a file that asks for any other,
before building anything), then checked to hold plain data only; and a file whose bytes
no longer hash to what the registry stored is refused before that. Never a pickle.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from dexcex.domain import DexcexError

__all__ = ["ModelRefused", "load_payload", "save_payload"]


class ModelRefused(DexcexError):
    """A model file that may not be loaded (changed since registered, or unsafe)."""


def save_payload(payload: dict[str, Any], path: Path) -> str:
    """Write ``payload`` to ``path`` (skops); its SHA-256."""
    import skops.io as sio

    blob = sio.dumps(payload)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    return hashlib.sha256(blob).hexdigest()


def load_payload(path: Path, sha256: str) -> dict[str, Any]:
    """The payload at ``path`` if its bytes hash to ``sha256`` and hold plain data only."""
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise ModelRefused(f"model file {path} cannot be read: {exc.strerror}") from exc
    digest = hashlib.sha256(blob).hexdigest()
    if digest != sha256:
        raise ModelRefused(
            f"model file {path} refused: its SHA-256 {digest[:12]}… is not the registered "
            f"{sha256[:12]}… (modified since it was registered)"
        )
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        out = sio.loads(blob, trusted=[])
    except UntrustedTypesFoundException as exc:
        raise ModelRefused(f"model file {path} refused: it holds untrusted types") from exc
    except Exception as exc:  # a corrupt file is refused, whatever broke
        raise ModelRefused(f"model file {path} refused: not a readable skops file") from exc
    if not isinstance(out, dict) or "kind" not in out:
        raise ModelRefused(f"model file {path} refused: not a dexcex model")
    bad = _not_plain(out)
    if bad is not None:
        raise ModelRefused(f"model file {path} refused: it holds a {bad}, not plain data")
    return out


def _not_plain(v: Any) -> str | None:
    """The first type in ``v`` that is not builtin data or a numeric NumPy array (skops
    trusts scikit-learn's types by default; a dexcex model file needs none)."""
    import numpy as np

    if v is None or isinstance(v, str | bool | int | float):
        return None
    if isinstance(v, np.ndarray):
        return None if v.dtype.kind in "biuf" else f"array of {v.dtype}"
    if isinstance(v, dict):
        for k, x in v.items():
            bad = None if isinstance(k, str) else type(k).__name__
            bad = bad or _not_plain(x)
            if bad is not None:
                return bad
        return None
    if isinstance(v, list | tuple):
        return next((b for b in map(_not_plain, v) if b is not None), None)
    return f"{type(v).__module__}.{type(v).__qualname__}"
