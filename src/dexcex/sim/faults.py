"""Scheduled faults, switched on and off at exact market times.

Window faults (rate_limit, server_error, slow, stale, down) are flags that the servers
consult while the window is open. One-shot faults (ws_disconnect, seq_gap, malformed,
duplicate) arm a counter that the next frames of the target consume. Every transition is
logged as a ``FaultEv``; frame faults log which stream message they hit, so a client can
be checked against exactly what it should have seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dexcex.sim.market.events import FaultEv
from dexcex.sim.scenario import Fault, FaultKind

__all__ = ["MALFORMED_VARIANTS", "FaultController"]

WINDOW_KINDS = frozenset(
    {FaultKind.RATE_LIMIT, FaultKind.SERVER_ERROR, FaultKind.SLOW, FaultKind.STALE, FaultKind.DOWN}
)
# How a frame gets corrupted; taken in turn so a run of `count` frames shows each kind.
MALFORMED_VARIANTS = ("bad_json", "wrong_types", "missing_fields", "bad_encoding")


@dataclass
class _TargetState:
    windows: dict[FaultKind, Fault] = field(default_factory=dict)
    malformed_left: int = 0
    duplicate_left: int = 0
    gap_pending: bool = False
    gap_done: set[str] = field(default_factory=set)
    variant_n: int = 0


class FaultController:
    """Owns the fault state of every target; ``arm`` schedules the transitions."""

    def __init__(self, emit: Callable[[FaultEv], None]) -> None:
        self._emit = emit
        self._state: dict[str, _TargetState] = {}
        self.disconnect_hooks: list[Callable[[str], None]] = []

    def _st(self, target: str) -> _TargetState:
        return self._state.setdefault(target, _TargetState())

    def arm(self, faults: list[Fault], start_ms: int, schedule: Callable[..., None]) -> None:
        """Schedule every fault of the scenario relative to ``start_ms`` (market time)."""
        for f in faults:
            t0 = start_ms + int(f.at_s * 1000)
            schedule(t0, lambda f=f, t0=t0: self._begin(f, t0))
            if f.kind in WINDOW_KINDS:
                t1 = t0 + int(f.duration_s * 1000)
                schedule(t1, lambda f=f, t1=t1: self._end(f, t1))

    def _begin(self, f: Fault, t: int) -> None:
        st = self._st(f.target)
        detail = ""
        if f.kind in WINDOW_KINDS:
            st.windows[f.kind] = f
            detail = f"begin {f.duration_s:g}s"
        elif f.kind is FaultKind.MALFORMED:
            st.malformed_left += f.count
            detail = f"next {f.count} frames"
        elif f.kind is FaultKind.DUPLICATE:
            st.duplicate_left += f.count
            detail = f"next {f.count} frames"
        elif f.kind is FaultKind.SEQ_GAP:
            st.gap_pending = True
            st.gap_done.clear()
            detail = "one delta per symbol"
        self._emit(FaultEv(t, f.kind.value, f.target, detail))
        if f.kind in (FaultKind.WS_DISCONNECT, FaultKind.DOWN):
            for hook in self.disconnect_hooks:
                hook(f.target)

    def _end(self, f: Fault, t: int) -> None:
        st = self._st(f.target)
        if st.windows.get(f.kind) is f:
            del st.windows[f.kind]
        self._emit(FaultEv(t, f.kind.value, f.target, "end"))

    # --- queries from the servers --------------------------------------------------------

    def window(self, target: str, kind: FaultKind) -> Fault | None:
        st = self._state.get(target)
        return st.windows.get(kind) if st else None

    def is_down(self, target: str) -> bool:
        return self.window(target, FaultKind.DOWN) is not None

    def is_stale(self, target: str) -> bool:
        return self.window(target, FaultKind.STALE) is not None

    def take_malformed(self, target: str, t: int, what: str) -> str | None:
        """If a malformed-frame fault is armed, consume one and return its variant."""
        st = self._state.get(target)
        if not st or st.malformed_left <= 0:
            return None
        st.malformed_left -= 1
        variant = MALFORMED_VARIANTS[st.variant_n % len(MALFORMED_VARIANTS)]
        st.variant_n += 1
        self._emit(FaultEv(t, "malformed", target, f"{what} {variant}"))
        return variant

    def take_duplicate(self, target: str, t: int, what: str) -> bool:
        st = self._state.get(target)
        if not st or st.duplicate_left <= 0:
            return False
        st.duplicate_left -= 1
        self._emit(FaultEv(t, "duplicate", target, what))
        return True

    def take_gap(self, target: str, symbol: str, t: int, what: str) -> bool:
        """True (once per symbol) while a sequence-gap fault is armed: skip this delta."""
        st = self._state.get(target)
        if not st or not st.gap_pending or symbol in st.gap_done:
            return False
        st.gap_done.add(symbol)
        self._emit(FaultEv(t, "seq_gap", target, what))
        return True
