"""``dexcex kill``: the kill switch from a terminal.

With an engine running (its page answers on the configured port), the switch goes
through the engine's API with the data directory's token — the engine cancels what is
open at the venues (and with ``--flatten`` closes every position) and answers what it
did. With no engine answering, the switch is written to the database: a starting engine
reads it and starts killed, and an engine that runs on this database but whose page is
not reachable from here (another port, no page) reads it within a few seconds and acts
on it — cancelling what is open, as if it had been told through its page.
"""

from __future__ import annotations

import json

import httpx
import typer

from dexcex.cli.common import console, err_console, settings_of
from dexcex.clock import SystemClock
from dexcex.config import Settings
from dexcex.execution.kill_switch import KillReason, KillState, KillSwitch
from dexcex.roots.running import open_database

_TIMEOUT_S = 30.0  # cancelling at two venues, each with its own timeout


def kill(
    ctx: typer.Context,
    release: bool = typer.Option(False, "--release", help="Switch it off again."),
    flatten: bool = typer.Option(False, "--flatten", help="Also close every position."),
    detail: str = typer.Option("from the command line", "--detail", help="Why, for the record."),
) -> None:
    """Engage (or ``--release``) the kill switch: no new entries, open orders cancelled.
    It is persisted: a restarted engine stays killed until released."""
    settings = settings_of(ctx)
    answer = _through_engine(settings, on=not release, flatten=flatten, detail=detail)
    if answer is not None:
        _print_engine(answer)
        return
    if flatten:
        err_console.print(
            "no engine is running: nothing to flatten here (the switch is still set below)"
        )
    try:
        state = _in_database(settings, on=not release, detail=detail)
    except Exception as exc:  # the one thing a kill must not do is pretend it held
        err_console.print(f"the kill switch was NOT set: the database refused it ({exc})")
        raise typer.Exit(1) from None
    word = "ON" if state.on else "off"
    console.print(f"kill switch {word} (no engine answered: written to the database)")
    if state.on:
        console.print(
            "an engine on this database follows it within seconds; one that starts stays "
            "killed until `dexcex kill --release`"
        )


def _through_engine(
    settings: Settings, *, on: bool, flatten: bool, detail: str
) -> dict[str, object] | None:
    """The engine's answer, or None when no engine answers on the configured port."""
    token_file = settings.data_dir / "api-token"
    api = settings.api
    url = f"http://{_reachable(api.host)}:{api.port}/api/kill"
    token = token_file.read_text(encoding="utf-8").strip() if token_file.is_file() else ""
    try:
        resp = httpx.post(
            url,
            json={"on": on, "flatten": flatten, "detail": detail},
            headers={"Authorization": f"Bearer {token}"},
            timeout=_TIMEOUT_S,
        )
    except (httpx.ConnectError, httpx.InvalidURL):
        return None
    except httpx.HTTPError as exc:
        err_console.print(f"the engine at {url} did not answer: {exc}")
        raise typer.Exit(1) from None
    if resp.status_code != 200:
        err_console.print(f"the engine refused: HTTP {resp.status_code} {_detail(resp)}")
        raise typer.Exit(1)
    body: dict[str, object] = resp.json()
    return body


def _reachable(host: str) -> str:
    """The address to ask an engine bound to ``host`` at (a wildcard is reached on
    loopback, which the page's allowed-hosts check accepts; IPv6 in brackets)."""
    if host in ("0.0.0.0", "", "::"):  # noqa: S104 - read, not bound
        return "127.0.0.1"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _detail(resp: httpx.Response) -> str:
    try:
        return str(resp.json().get("detail", ""))
    except (json.JSONDecodeError, AttributeError):
        return resp.text[:200]


def _print_engine(body: dict[str, object]) -> None:
    ks = body.get("kill_switch")
    on = isinstance(ks, dict) and bool(ks.get("on"))
    console.print(f"kill switch {'ON' if on else 'off'} (the running engine)")
    cancelled = body.get("cancelled_orders") or []
    assert isinstance(cancelled, list)
    for o in cancelled:
        if isinstance(o, dict):
            console.print(f"  cancelled {o.get('client_order_id')} at {o.get('venue')}")
    if on and not cancelled:
        console.print("  no open orders to cancel")


def _in_database(settings: Settings, *, on: bool, detail: str) -> KillState:
    db = open_database(settings)
    try:
        switch = KillSwitch(db.state)
        switch.load()
        now = SystemClock().now_ms()
        if on and not switch.on:
            switch.write(KillState(True, KillReason.MANUAL, detail, now), now)
        elif not on and switch.on:
            switch.write(KillState(False, None, "", now), now)
        return switch.state
    finally:
        db.close()
