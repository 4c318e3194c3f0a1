"""The soak's check worker: a long-lived process checking one segment after another must not
keep what it checked."""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

import pytest

from isolde.harness import Scenario, check_config, run_scenario
from isolde.histories import History
from isolde.soak import _check
from isolde.soak._soak import prepare, segment_workload


def test_a_checked_segment_is_freed_when_its_check_returns(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Drawing a segment's report left its history in reference cycles, frozen with the rest of
    the load (``gc.freeze``) and so freed only by the next segment's load: an idle worker held
    a whole segment (600 MB for 1 M ops). The check now drops it before it returns."""
    s = Scenario(time_limit=1.0, max_ops=3000, concurrency=4, seed=5, store_dir=tmp_path,
                 nemesis=("partition",), nemesis_interval=0.2,
                 workload_options={"read_consistency": "mixed"})
    seg = run_scenario(s).run_dir
    loaded: list[weakref.ref[History]] = []
    real = _check.load_history

    def load(*args: Any, **kwargs: Any) -> History:
        history = real(*args, **kwargs)
        loaded.append(weakref.ref(history))
        return history

    monkeypatch.setattr(_check, "load_history", load)
    names, store, _ = prepare(s)
    config = check_config(s, segment_workload(s, 0), seg, store)
    summary = _check.check_segment(seg, 0, names, config, tmp_path / "soak.log", {})
    assert summary["valid"] is True and summary["ops"] > 0
    assert (seg / "report.html").exists()
    assert [ref() for ref in loaded] == [None]
