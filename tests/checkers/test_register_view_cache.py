"""The register view cache keeps a view only while its history lives: checking history after
history (a soak's check worker) does not keep them all in memory."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref

from isolde.checkers import CheckConfig, run_checkers
from isolde.checkers._registers import _CACHE, decode, paused_gc
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


def test_paused_gc_promotes_what_it_allocated_and_resumes() -> None:
    # In a fresh interpreter: a history read from a file earlier in this one froze objects
    # (``histories._formats.gc_paused``), and then paused_gc leaves the generations alone.
    code = """if True:
        import gc
        from isolde.checkers._registers import paused_gc
        gc.collect()
        with paused_gc():
            assert not gc.isenabled()
            kept = [[i] for i in range(10_000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0  # frozen only for the moment of the move
        assert gc.get_count()[0] < len(kept)  # not left in the youngest generation
        assert all(gc.is_tracked(x) for x in kept[:10])
    """
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr


def test_paused_gc_leaves_objects_frozen_by_others_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with paused_gc():
            [[i] for i in range(100)]
        assert gc.get_freeze_count() == frozen
        assert gc.isenabled()
    finally:
        gc.unfreeze()
