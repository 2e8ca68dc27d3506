"""dexcex — DEX micro-structure anomalies turned into risk-checked CEX trade signals."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dexcex")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
