"""Configuration: a TOML file plus ``DEXCEX_*`` environment variables, validated once."""

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
