"""SIGTERM and SIGHUP end a run the way Ctrl-C does: no new ops, faults healed, the history
checked and results.json written, saying the run was cut short and by what.

They are forwarded as SIGINT, so that one path (the runner's SIGINT handler while load runs,
asyncio's cancellation during setup, KeyboardInterrupt elsewhere) serves all three; the signal
that really arrived is remembered for results.json and the exit code (128 + its number, the
shell's convention: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

FORWARDED = (signal.SIGTERM, signal.SIGHUP)

# Signals are process-wide, so is this: the last forwarded signal not yet claimed by a run.
_pending: list[signal.Signals] = []


def _forward(signum: int, _frame: FrameType | None) -> None:
    _pending.append(signal.Signals(signum))
    signal.raise_signal(signal.SIGINT)


@contextlib.contextmanager
def forward_to_sigint() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP act as SIGINT (main thread only)."""
    previous = {sig: signal.signal(sig, _forward) for sig in FORWARDED}
    _pending.clear()
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def claim() -> signal.Signals:
    """The signal behind the SIGINT being handled now: a forwarded one, else SIGINT itself."""
    return _pending.pop() if _pending else signal.SIGINT


def signal_exit_code(sig: signal.Signals) -> int:
    return 128 + int(sig)
