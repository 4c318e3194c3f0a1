"""Holding every checker to the check's time and memory budget.

Some checkers watch their own budget (linearizability's search, the isolation cycle search) and
end "unknown" with what they found so far; the others would run on. So with a budget, each
checker runs in a forked child watched from here: past the deadline (plus a grace for a checker
that winds down by itself), or past the memory limit (growth of the child's resident set), the
child's process group is killed and the result is "unknown" with the reason — never the OS's
OOM killer taking isolde down. The deadline is shared: the checkers run one after another
within one budget.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from .._resources import rss_bytes
from ..histories import History
from ._result import UNKNOWN, Result

if TYPE_CHECKING:  # _base runs checkers through this module
    from ._base import CheckConfig, Checker

# A checker that watches its own budget (and says how far it got) ends a little past it: the
# child is stopped only beyond these margins.
GRACE_S = 1.0
GRACE_BYTES = 64 << 20  # or an eighth of the memory limit, if more
_POLL_S = 0.02


def run_within_budget(
    names: Sequence[str], history: History, config: CheckConfig,
    make: Callable[[str, CheckConfig], Checker],
) -> dict[str, Result]:
    """Each named checker's result (``make`` builds it), all within ``config``'s time and
    memory limits. Each checker is told the time left, so one that watches its budget stops
    with what it found; one past the deadline and its grace is stopped from here."""
    if config.time_limit is None and config.memory_limit is None:
        return {c.name: c.check(history) for c in (make(n, config) for n in names)}
    deadline = time.monotonic() + config.time_limit if config.time_limit else None
    out: dict[str, Result] = {}
    for name in names:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left < -GRACE_S:
            out[name] = _unknown(f"the check time limit of {config.time_limit:g} s ran out "
                                 "before this checker started")
            continue
        c = make(name, config if left is None else replace(config, time_limit=max(left, 1e-9)))
        out[c.name] = _in_child(c, history, config, deadline)
    return out


def _unknown(reason: str) -> Result:
    return Result(UNKNOWN, data={"reason": reason})


def _forkable() -> bool:
    """Forking while other threads run could copy a lock some thread holds: then the checker
    runs here, held only to the budgets it watches itself."""
    return hasattr(os, "fork") and threading.active_count() == 1


def _in_child(
    checker: Checker, history: History, config: CheckConfig, deadline: float | None
) -> Result:
    if not _forkable():
        return checker.check(history)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: check, send the pickled result (or exception), and go
        os.close(r)
        os.setpgid(0, 0)  # its own group, so its workers die with it
        _child(checker, history, w)
    os.close(w)
    try:
        return _watch(pid, r, config, deadline)
    finally:
        os.close(r)
        _kill(pid)


def _child(checker: Checker, history: History, w: int) -> None:
    code = 0
    try:
        try:
            payload = pickle.dumps((True, checker.check(history)))
        except MemoryError:
            payload = pickle.dumps((True, _unknown("the memory limit ran out")))
        except BaseException as e:  # the parent re-raises it
            payload = pickle.dumps((False, e))
        with os.fdopen(w, "wb") as fh:
            fh.write(payload)
    except BaseException:  # nothing left to tell the parent through
        code = 1
    os._exit(code)


def _watch(pid: int, r: int, config: CheckConfig, deadline: float | None) -> Result:
    rss0 = rss_bytes(pid)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([r], [], [], _POLL_S)
        if ready:
            data = os.read(r, 1 << 20)
            if not data:
                break
            chunks.append(data)
            continue
        if deadline is not None and time.monotonic() > deadline + GRACE_S:
            return _unknown(f"the check time limit of {config.time_limit:g} s ran out")
        if config.memory_limit is not None and rss_bytes(pid) - rss0 > _memory_cap(config):
            return _unknown(f"the memory limit of {config.memory_limit:,} bytes ran out")
    if not chunks:  # it died without a word: killed from outside, or by the OS
        return _unknown("the checker's process died (out of memory?)")
    ok, value = pickle.loads(b"".join(chunks))
    if not ok:
        raise value
    result: Result = value
    return result


def _memory_cap(config: CheckConfig) -> int:
    limit = config.memory_limit or 0
    return limit + max(GRACE_BYTES, limit // 8)


def _kill(pid: int) -> None:
    """End the child and its process group (its own workers) and reap it."""
    for target in (-pid, pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(target, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
