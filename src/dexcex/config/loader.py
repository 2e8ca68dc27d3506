"""Load and validate the configuration; turn every failure into one clear ConfigError.

A failure names the field and where its value came from (the file, an environment
variable or the packaged defaults), so the message alone tells the user what to fix.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from dexcex.config.secrets import mask_url, url_secrets
from dexcex.config.settings import ENV_PREFIX, SECRET_FILE_SUFFIX, Settings
from dexcex.config.suggest import nearest_setting
from dexcex.domain import ConfigError

__all__ = [
    "DEFAULT_CONFIG_NAME",
    "SECRET_KEYS",
    "effective_config",
    "load_settings",
    "resolve_config_path",
]

DEFAULT_CONFIG_NAME = "dexcex.toml"
# Keys whose values are credentials: accepted from the environment or secret files only.
SECRET_KEYS = frozenset({"api_key", "api_secret", "secret", "password", "passphrase", "token"})
_DEFAULTS_LABEL = "packaged defaults (dexcex/config/default.toml)"


def resolve_config_path(explicit: str | Path | None) -> Path | None:
    """The user file to read: ``explicit``, else ``$DEXCEX_CONFIG``, else ``./dexcex.toml``.

    An explicitly named file must exist; the implicit ``./dexcex.toml`` is optional.
    """
    named = explicit or os.environ.get("DEXCEX_CONFIG")
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        return path
    implicit = Path.cwd() / DEFAULT_CONFIG_NAME
    return implicit if implicit.is_file() else None


def _read_toml(text: str, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: invalid TOML: {exc}") from None


def _merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; any other value (lists included) is replaced by ``top``."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _reject_file_secrets(data: Mapping[str, Any], label: str, path: str = "") -> None:
    for key, value in data.items():
        here = f"{path}.{key}" if path else key
        if isinstance(value, Mapping):
            _reject_file_secrets(value, label, here)
        elif key.lower() in SECRET_KEYS:
            env = ENV_PREFIX + here.upper().replace(".", "__")
            raise ConfigError(
                f"{label}: {here}: secrets are not read from config files; "
                f"set {env} or {env}{SECRET_FILE_SUFFIX} instead"
            )
    if not path:
        _reject_url_secrets(data, label)


# URLs that may carry a password or a token: refused in a file when they do (a webhook
# URL always: its path is the token)
_URLS = (("store", "url", "STORE__URL"), ("bus", "redis_url", "BUS__REDIS_URL"))


def _reject_url_secrets(data: Mapping[str, Any], label: str) -> None:
    for section, key, env in _URLS:
        table = data.get(section, {})
        if not isinstance(table, Mapping):
            raise ConfigError(f"{label}: [{section}] must be a table, not {table!r}")
        url = table.get(key)
        if section == "store" and isinstance(url, str):
            try:
                make_url(url)
            except ArgumentError:
                raise ConfigError(f"{label}: store.url: not a database URL: {url!r}") from None
        if isinstance(url, str) and url_secrets(url):
            raise ConfigError(
                f"{label}: {section}.{key}: a password in the file is a secret; put the URL "
                f"in {ENV_PREFIX}{env} or {ENV_PREFIX}{env}{SECRET_FILE_SUFFIX}"
            )
    if data.get("alerts", {}).get("webhook_url"):
        env = f"{ENV_PREFIX}ALERTS__WEBHOOK_URL"
        raise ConfigError(
            f"{label}: alerts.webhook_url: a webhook URL holds its token, a secret; set "
            f"{env} or {env}{SECRET_FILE_SUFFIX} instead"
        )


def _lookup(data: Any, loc: tuple[int | str, ...]) -> bool:
    node = data
    for part in loc:
        in_table = isinstance(node, Mapping) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if not (in_table or in_list):
            return False
        node = node[part]
    return True


def _origin(loc: tuple[int | str, ...], user: dict[str, Any], user_label: str | None) -> str:
    names = [str(p).upper() for p in loc if isinstance(p, str)]
    for depth in range(len(names), 0, -1):
        var = ENV_PREFIX + "__".join(names[:depth])
        for candidate in (var, var + SECRET_FILE_SUFFIX):
            if any(k.upper() == candidate for k in os.environ):
                return f"environment variable {candidate}"
    if user_label and _lookup(user, loc):
        return user_label
    return user_label or _DEFAULTS_LABEL


def _describe(exc: ValidationError, user: dict[str, Any], user_label: str | None) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        field = ".".join(str(p) for p in loc) or "(root)"
        given = err.get("input")
        shown = "" if isinstance(given, (dict, list)) else f" (got {given!r})"
        if err["type"] == "extra_forbidden":
            msg = "unknown setting"
            meant = nearest_setting(Settings, tuple(str(p) for p in loc))
            if meant is not None:
                msg += f" (did you mean {meant}?)"
        else:
            msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{_origin(loc, user, user_label)}: {field}: {msg}{shown}")
    return "; ".join(parts)


def load_settings(config_path: str | Path | None = None) -> Settings:
    """Read defaults + user file + environment and validate them as one ``Settings``."""
    defaults_text = (resources.files("dexcex.config") / "default.toml").read_text("utf-8")
    defaults = _read_toml(defaults_text, _DEFAULTS_LABEL)
    path = resolve_config_path(config_path)
    user: dict[str, Any] = {}
    user_label: str | None = None
    if path is not None:
        user_label = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
        user = _read_toml(text, user_label)
        _reject_file_secrets(user, user_label)
    overlay = _profile_overlay(
        os.environ.get("DEXCEX_PROFILE") or user.get("profile") or defaults.get("profile", "dev")
    )
    try:
        settings = Settings(**_merge(_merge(defaults, overlay), user))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, user, user_label)) from None
    except (OSError, UnicodeDecodeError) as exc:  # a *_FILE secret that cannot be read
        raise ConfigError(f"secret file: {exc}") from None
    ids = [a.id for a in settings.assets]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{user_label or _DEFAULTS_LABEL}: assets: duplicate asset ids {ids}")
    return settings


def _profile_overlay(profile: object) -> dict[str, Any]:
    """The packaged settings of a profile (dev, demo, prod), between the defaults and the
    user's file."""
    path = resources.files("dexcex.config") / "profiles" / f"{profile}.toml"
    if not isinstance(profile, str) or not path.is_file():
        raise ConfigError(f"profile: unknown profile {profile!r} (dev, demo or prod)")
    return _read_toml(path.read_text("utf-8"), f"profile {profile}")


def effective_config(settings: Settings) -> dict[str, Any]:
    """The settings as plain data with every secret redacted (for display)."""
    data = settings.model_dump(mode="json")
    if settings.store.url:
        data["store"]["url"] = mask_url(settings.store.url)
    data["bus"]["redis_url"] = mask_url(settings.bus.redis_url)
    return data
