"""The isolation checkers hold to --memory-limit: past it, "unknown" with the reason (the phase
after which the limit was found spent), never the OS's OOM killer."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from isolde import cli
from isolde.checkers import CheckConfig, make_checker
from isolde.checkers.isolation import _judge
from isolde.histories import History, Op

GIB = 1 << 30


def _txns(f: str) -> History:
    """Serial transactions of two processes: each writes (``f``: append or w) a key and reads
    it back, a valid history for either checker."""
    ops: list[Op] = []
    state: dict[int, list[int]] = {}
    for t in range(6):
        k = t % 3
        state.setdefault(k, []).append(t)
        read = list(state[k]) if f == "append" else t
        ops += [Op(len(ops), len(ops), "invoke", t % 2, "txn", [[f, k, t], ["r", k, None]]),
                Op(len(ops) + 1, len(ops) + 1, "ok", t % 2, "txn", [[f, k, t], ["r", k, read]])]
    return History(ops)


@pytest.fixture
def growing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each look at the resident set finds a GiB more: the first checkpoint is past any limit
    below that (a deterministic stand-in for a check that allocates too much)."""
    count = itertools.count()
    monkeypatch.setattr(_judge, "rss_bytes", lambda: next(count) * GIB)


@pytest.mark.usefixtures("growing")
@pytest.mark.parametrize(("checker", "f"), [("list-append", "append"), ("rw-register", "w")])
def test_past_the_memory_limit_is_unknown_with_the_reason(checker: str, f: str) -> None:
    r = make_checker(checker, CheckConfig(memory_limit=100 << 20)).check(_txns(f))
    assert r.valid == "unknown"
    assert r.data["reason"] == ("the memory limit of 104,857,600 bytes ran out after reading "
                                "the transactions")


@pytest.mark.usefixtures("growing")
@pytest.mark.parametrize(("checker", "f"), [("list-append", "append"), ("rw-register", "w")])
def test_within_the_memory_limit_the_verdict_stands(checker: str, f: str) -> None:
    r = make_checker(checker, CheckConfig(memory_limit=100 * GIB)).check(_txns(f))
    assert r.valid is True, r.data
    assert make_checker(checker).check(_txns(f)).valid is True  # no limit: never looked at


@pytest.mark.usefixtures("growing")
def test_check_cli_says_unknown_and_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    h = tmp_path / "h.jsonl"
    h.write_text("".join(json.dumps(op.to_dict()) + "\n" for op in _txns("append")))
    code = cli.main(["check", "--checker", "list-append", "--memory-limit", "64M", "--json",
                     str(h)])
    out = json.loads(capsys.readouterr().out)
    assert code == 2 and out["valid"] == "unknown"
    assert "memory limit of 67,108,864 bytes ran out" in \
        out["checkers"]["list-append"]["reason"]


def test_the_limit_is_watched_within_the_collecting_pass(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Pass 1 grows with the history: it looks at the budget every CHECK_EVERY transactions
    (here 2), so a limit spent inside it is caught there (the fourth look: the two Judges'
    starts and the first checkpoint come first)."""
    from isolde.checkers.isolation import _append_infer
    monkeypatch.setattr(_append_infer, "CHECK_EVERY", 2)
    looks = itertools.count()
    monkeypatch.setattr(_judge, "rss_bytes", lambda: 0 if next(looks) < 3 else GIB)
    r = make_checker("list-append", CheckConfig(memory_limit=100 << 20)).check(_txns("append"))
    assert r.valid == "unknown"
    assert r.data["reason"] == ("the memory limit of 104,857,600 bytes ran out after collecting "
                                "appends and reads of 2 transactions")
