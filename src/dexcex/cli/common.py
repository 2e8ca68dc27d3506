"""What every command shares: loading settings once, consoles, one-line errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from dexcex.config import Settings, load_settings
from dexcex.logs import configure_logging, register_secrets

__all__ = ["AppState", "byte_progress", "console", "err_console", "settings_of"]

console = Console()
err_console = Console(stderr=True)


@dataclass
class AppState:
    config_path: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            s = load_settings(self.config_path)
            register_secrets(_secret_values(s))
            configure_logging(s.log.level, s.log.format)
            self._settings = s
        return self._settings


def _secret_values(s: Settings) -> list[str]:
    out: list[str] = []
    for v in (s.venues.mexc, s.venues.bybit):
        for secret in (v.api_key, v.api_secret):
            if secret is not None:
                out.append(secret.get_secret_value())
    if s.sources.birdeye.api_key is not None:
        out.append(s.sources.birdeye.api_key.get_secret_value())
    if s.alerts.webhook_url is not None:
        out.append(s.alerts.webhook_url.get_secret_value())
    from dexcex.config.secrets import url_secrets

    if s.store.url:
        out += url_secrets(s.store.url)
    out += url_secrets(s.bus.redis_url)
    return out


def settings_of(ctx: typer.Context) -> Settings:
    state = ctx.find_object(AppState)
    if state is None:  # invoked outside the app (tests calling a command directly)
        state = AppState()
    return state.settings()


def parse_when(value: str | None) -> int | None:
    """Milliseconds, or an ISO date/time (UTC when no zone is given)."""
    if value is None:
        return None
    if value.isdigit():
        return int(value)
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: milliseconds or an ISO date/time") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def with_db(settings: Settings, db: str | None) -> Settings:
    """``settings`` with the database a ``--db URL`` option named (unchanged if None)."""
    if db is None:
        return settings
    return settings.model_copy(update={"store": settings.store.model_copy(update={"url": db})})


@contextmanager
def byte_progress(what: str) -> Iterator[Callable[[int, int, int], None]]:
    """A progress bar over the bytes of the input read; yields the callback
    ``(events, bytes_read, bytes_total)`` that long replays call."""
    with Progress(
        TextColumn(f"[bold]{what}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
    ) as progress:
        task = progress.add_task("", total=None)

        def show(events: int, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, description=f"{events:,} events")

        yield show
