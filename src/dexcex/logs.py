"""Structured logging (structlog): JSON in production, readable lines in a terminal.

Secrets never reach a log line: values of secret-looking keys are masked, ``SecretStr``
values are masked, and every secret value the configuration loaded is registered here
and scrubbed from any string, wherever it appears in the event.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog
from pydantic import SecretStr

__all__ = ["MASK", "configure_logging", "get_logger", "redact", "register_secrets"]

MASK = "***"
_SECRET_KEY = re.compile(r"(secret|api_?key|password|passphrase|token|signature)", re.I)
_secrets: set[str] = set()
_MIN_SECRET_LEN = 4  # shorter values would mask innocent text everywhere


def register_secrets(values: Iterable[str | SecretStr | None]) -> None:
    """Remember secret values so they are scrubbed from every later log event."""
    for v in values:
        raw = v.get_secret_value() if isinstance(v, SecretStr) else v
        if raw and len(raw) >= _MIN_SECRET_LEN:
            _secrets.add(raw)


def _scrub(text: str) -> str:
    for s in _secrets:
        if s in text:
            text = text.replace(s, MASK)
    return text


def _clean(key: str, value: Any) -> Any:
    if isinstance(value, SecretStr):
        return MASK
    if key and _SECRET_KEY.search(key) and value not in (None, ""):
        return MASK
    if isinstance(value, str):
        return _scrub(value)
    if isinstance(value, dict):
        return {k: _clean(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean("", v) for v in value]
    if isinstance(value, BaseException):
        return _scrub(repr(value))
    return value


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask secrets in every field of the event."""
    for key in list(event.keys()):
        event[key] = _clean(key, event[key])
    return event


def _scrub_rendered(_logger: Any, _method: str, event: Any) -> Any:
    # Last line of defence: the rendered line (tracebacks included) is scrubbed too.
    return _scrub(event) if isinstance(event, str) else event


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is *now* (test runners and daemons swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


class _ScrubFilter(logging.Filter):
    """Scrubs registered secrets from stdlib log records (third-party libraries log too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _scrub(record.getMessage())
        record.args = None
        return True


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    """Set up structlog and the stdlib root logger (``fmt``: auto, console or json)."""
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info if as_json else structlog.dev.set_exc_info,
            renderer,
            _scrub_rendered,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _ScrubFilter) for f in handler.filters):
            handler.addFilter(_ScrubFilter())
    # one line per HTTP request and per websocket frame is noise at INFO: they speak up
    # from WARNING, or when the whole process is at DEBUG
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in ("httpx", "httpcore", "websockets", "aiohttp.access", "ccxt", "alembic"):
        logging.getLogger(name).setLevel(quiet)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
