"""Configuration: a TOML file plus ``DEXCEX_*`` environment variables, validated once.

The names below load on first use (PEP 562): the pure core imports
``dexcex.config.core_settings`` only, and must not pay for — or depend on — the loader's
SQLAlchemy URL checks and pydantic-settings.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dexcex.config.loader import effective_config, load_settings, resolve_config_path
    from dexcex.config.models import (
        ApiSettings,
        AssetConfig,
        LiveSettings,
        LogSettings,
        PipelineSettings,
        StoreSettings,
        VenueSettings,
    )
    from dexcex.config.settings import Settings

_HOME = {
    "ApiSettings": "models",
    "AssetConfig": "models",
    "LiveSettings": "models",
    "LogSettings": "models",
    "PipelineSettings": "models",
    "StoreSettings": "models",
    "VenueSettings": "models",
    "Settings": "settings",
    "effective_config": "loader",
    "load_settings": "loader",
    "resolve_config_path": "loader",
}

__all__ = [
    "ApiSettings",
    "AssetConfig",
    "LiveSettings",
    "LogSettings",
    "PipelineSettings",
    "Settings",
    "StoreSettings",
    "VenueSettings",
    "effective_config",
    "load_settings",
    "resolve_config_path",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'dexcex.config' has no attribute {name!r}")
    value = getattr(import_module(f"dexcex.config.{home}"), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value
