"""SIGINT/SIGTERM as a stop *request*, from the first instant of the process to its end.

A process that trades must stop cleanly whenever it is told to, start-up included: a
SIGTERM during the three seconds of imports, the database migration or the simulator's
start must not kill it half-way (exit −15, nothing closed). So the entry point installs
``LATCH`` before anything slow is imported; from then on a signal is only *recorded*:

* before an event loop is attached, the command checks ``requested()`` as soon as it can
  and exits 0 without starting anything;
* while the engine starts (``starting``), the signal cancels the start-up task, whose
  ``finally`` blocks close what had been started — then the command exits 0;
* once it runs, the signal sets the stop event that ``serve_until_stopped`` waits on.

Commands that finish by themselves (``config show``, ``db upgrade`` …) ``release`` the
latch: the default behaviour comes back, and a signal already recorded is re-raised.
A second signal while a stop is under way is logged and ignored: the shutdown is
bounded by itself (see ``pipeline.runner``).

This module imports nothing but the standard library: it runs before the rest.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from types import FrameType

__all__ = ["LATCH", "StopLatch"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopLatch:
    def __init__(self) -> None:
        self.signal_name: str | None = None  # the first stop signal received
        self.phase = "before start"  # where start-up was when it came
        self.installed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._startup: asyncio.Task[object] | None = None

    def requested(self) -> bool:
        """Has a stop signal come?"""
        return self.signal_name is not None

    def install(self) -> None:
        """Record SIGINT/SIGTERM from now on (main thread only; a no-op elsewhere)."""
        try:
            for sig in _SIGNALS:
                signal.signal(sig, self._handle)
        except ValueError:  # not the main thread: an embedding host handles signals
            return
        self.installed = True

    def release(self) -> None:
        """Default signal behaviour again; a signal recorded meanwhile takes effect now."""
        if not self.installed:
            return
        self.installed = False
        for sig in _SIGNALS:
            signal.signal(sig, signal.default_int_handler if sig == signal.SIGINT else 0)
        if self.signal_name is not None:
            os.kill(os.getpid(), signal.Signals[self.signal_name])

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.signal_name is not None:
            sys.stderr.write(f"dexcex: {name} again: already stopping ({self.phase})\n")
            return
        self.signal_name = name
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        if self._event is not None:
            self._event.set()
        task = self._startup
        if task is not None and not task.done():
            task.cancel()

    # --- inside the event loop -----------------------------------------------------------------

    def attach(self) -> asyncio.Event:
        """Bind to the running loop; the event is set by a stop signal (already set when
        one came before)."""
        loop = asyncio.get_running_loop()
        if self._loop is loop and self._event is not None:
            return self._event
        self._loop = loop
        self._event = asyncio.Event()
        if self.signal_name is not None:
            self._event.set()
        return self._event

    def starting(self, phase: str) -> None:
        """The current task is starting things up: a stop signal now cancels it."""
        self.phase = phase
        task = asyncio.current_task()
        self._startup = task
        if self.signal_name is not None and task is not None:
            task.cancel()

    def started(self) -> None:
        """Start-up is over: a stop signal now only sets the event."""
        self._startup = None
        self.phase = "running"

    def detach(self) -> None:
        self._loop = None
        self._event = None
        self._startup = None


LATCH = StopLatch()
