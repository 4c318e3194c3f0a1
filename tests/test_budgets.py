"""--check-time-limit and --memory-limit hold every checker and loading: "unknown" with the
reason, within the budget, never an OS kill (issue 11 §4)."""

from __future__ import annotations

import json
import os
import time
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from isolde.checkers import CheckConfig, Result, run_checkers
from isolde.checkers import _base as checker_base
from isolde.histories import History, Op

from .conftest import run_cli, run_on_terminal


class Sleeper:
    """A checker that never looks at its budget."""

    name = "sleeper"

    def __init__(self, config: CheckConfig) -> None:
        self.config = config

    def check(self, history: History) -> Result:
        time.sleep(60)
        return Result(True)


class Hog:
    """A checker that allocates until something stops it."""

    name = "hog"

    def __init__(self, config: CheckConfig) -> None:
        self.config = config

    def check(self, history: History) -> Result:
        hoard = []
        for _ in range(10_000):
            hoard.append(bytearray(8 << 20))  # touched (zeroed), so resident
        return Result(len(hoard) > 0)


@pytest.fixture
def misbehaving(monkeypatch: pytest.MonkeyPatch) -> None:
    # Registered as a plugin would be: entry points of the checkers' group.
    registry = checker_base.CHECKERS
    points = dict(registry.points())
    for name, cls in (("sleeper", "Sleeper"), ("hog", "Hog")):
        points[name] = EntryPoint(name=name, value=f"{__name__}:{cls}", group=registry.group)
    monkeypatch.setattr(registry, "_points", points)
    monkeypatch.setattr(registry, "_loaded", {})


def _history() -> History:
    return History([Op(0, 0, "invoke", 0, "write", 1), Op(1, 1, "ok", 0, "write", 1)])


@pytest.mark.usefixtures("misbehaving")
def test_time_limit_holds_a_checker_that_ignores_it() -> None:
    t0 = time.monotonic()
    out = run_checkers(_history(), ["sleeper", "stats"], CheckConfig(time_limit=1.0))
    assert time.monotonic() - t0 < 10
    assert out["sleeper"].valid == "unknown"
    assert "time limit" in out["sleeper"].data["reason"]
    assert out["stats"].valid == "unknown"  # the shared budget was spent before it began


@pytest.mark.usefixtures("misbehaving")
def test_memory_limit_holds_a_checker_that_ignores_it() -> None:
    out = run_checkers(_history(), ["hog", "stats"], CheckConfig(memory_limit=200 << 20))
    assert out["hog"].valid == "unknown"
    assert "memory limit" in out["hog"].data["reason"]
    assert out["stats"].valid is True  # the next checker runs with its own memory


@pytest.mark.usefixtures("misbehaving")
def test_bad_input_from_a_budgeted_checker_is_still_bad_input() -> None:
    from isolde import BadInput

    with pytest.raises(BadInput, match="cas"):
        run_checkers(History([Op(0, 0, "invoke", 0, "cas", 3), Op(1, 1, "ok", 0, "cas", 3)]),
                     ["linearizable"], CheckConfig(time_limit=30))


def _never_completed(path: Path, n: int, unwritten_read: bool = False) -> None:
    """``n`` never-completed writes on one key; then, if asked, a read of a value none wrote
    (so the search must try the writes in every order before it can say so)."""
    with open(path, "w") as fh:
        for i in range(n):
            fh.write(json.dumps({"index": i, "time": i, "type": "invoke", "process": i,
                                 "f": "write", "value": [0, i]}) + "\n")
        if unwritten_read:
            for i, (t, v) in enumerate([("invoke", None), ("ok", -1)], n):
                fh.write(json.dumps({"index": i, "time": i, "type": t, "process": n,
                                     "f": "read", "value": [0, v]}) + "\n")


def test_cli_limits_on_never_completed_writes(tmp_path: Path) -> None:
    """Issue 11's case, scaled down: many never-completed writes on one key. Alone they are
    linearizable at once (nothing returns; the linearized set no longer costs a bit per op
    up front, which alone used to run out of memory); with a read of a value none wrote, the
    search runs out of memory and says so."""
    h = tmp_path / "h.jsonl"
    _never_completed(h, 60_000)
    r = run_cli("check", "--json", "--memory-limit", "150M", str(h), timeout=300)
    assert json.loads(r.stdout)["checkers"]["linearizable"]["valid"] is True, r.stderr
    _never_completed(h, 60_000, unwritten_read=True)
    r = run_cli("check", "--json", "--memory-limit", "150M", str(h), timeout=300)
    assert r.returncode == 2, r.stderr
    assert "memory limit" in json.dumps(json.loads(r.stdout)["checkers"]["linearizable"])
    t0 = time.monotonic()
    r = run_cli("check", "--json", "--check-time-limit", "2", str(h), timeout=300)
    assert r.returncode == 2, r.stderr
    assert time.monotonic() - t0 < 20  # the budget, plus interpreter start-up on a busy box


def test_loading_counts_against_the_budget(tmp_path: Path) -> None:
    h = tmp_path / "h.jsonl"
    _never_completed(h, 200_000)
    r = run_cli("check", "--json", "--check-time-limit", "0.05", str(h), timeout=300)
    assert r.returncode == 2, r.stderr
    rec = json.loads(r.stdout)
    assert rec["valid"] == "unknown" and "while loading" in rec["reason"]


def test_junit_counts_a_load_out_of_budget_as_an_error(tmp_path: Path) -> None:
    h = tmp_path / "h.jsonl"
    _never_completed(h, 200_000)
    junit = tmp_path / "j.xml"
    r = run_cli("check", "--junit", str(junit), "--check-time-limit", "0.05", str(h), timeout=300)
    assert r.returncode == 2, r.stderr
    xml = junit.read_text()
    assert 'errors="1"' in xml and "while loading" in xml


def test_run_on_a_terminal_holds_checkers_to_the_budget(tmp_path: Path) -> None:
    # On a terminal the progress bar's thread once lived on through checking, so checkers ran
    # in-process (a fork would copy the thread's locks) and a checker that ignores its budget
    # ran on: the progress bar now stops before the check.
    site = tmp_path / "site"
    site.mkdir()
    (site / "sleepy_checker.py").write_text(
        "import time\nfrom isolde.checkers import Result\n\n\n"
        "class Sleeper:\n    name = 'sleeper'\n\n"
        "    def __init__(self, config):\n        self.config = config\n\n"
        "    def check(self, history):\n        time.sleep(600)\n        return Result(True)\n")
    info = site / "sleepy_checker-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sleepy-checker\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[isolde.checkers]\nsleeper = sleepy_checker:Sleeper\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    t0 = time.monotonic()
    code, out = run_on_terminal("run", "--time-limit", "0.5", "--checker", "sleeper",
                                "--check-time-limit", "2", "--store-dir", str(tmp_path / "s"),
                                env=env, timeout=240)
    assert code == 2, out[-2000:]  # unknown, not a checker that slept through its budget
    assert time.monotonic() - t0 < 200
    res = json.loads((tmp_path / "s" / "latest" / "results.json").read_text())
    assert "time limit" in res["checkers"]["sleeper"]["reason"]
