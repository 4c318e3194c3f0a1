"""The register view cache keeps a view only while its history lives: checking history after
history (a soak's check worker) does not keep them all in memory."""

from __future__ import annotations

import gc
import weakref

from isolde.checkers import CheckConfig, run_checkers
from isolde.checkers._registers import _CACHE, decode
from isolde.histories import History, Op


def _history() -> History:
    return History([Op(0, 0, "invoke", 0, "write", [1, 1]), Op(1, 1, "ok", 0, "write", [1, 1]),
                    Op(2, 2, "invoke", 1, "read", [1, None]), Op(3, 3, "ok", 1, "read", [1, 1])])


def test_a_checked_history_is_freed_with_its_view() -> None:
    h = _history()
    results = run_checkers(h, ["read-promises", "staleness"], CheckConfig())
    assert results["read-promises"].valid is True
    assert decode(h).cite(2) == "op 2"  # cites through the history while it lives
    gone = weakref.ref(h)
    del h
    gc.collect()
    assert gone() is None
    assert not [k for k in _CACHE.keyrefs() if k() is None]
