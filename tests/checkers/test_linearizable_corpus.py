"""Acceptance: Porcupine's verdict on every file of its test corpus (102 etcd + 6 kv logs)."""

from __future__ import annotations

import json
import os

import pytest

from isolde.checkers import CheckConfig
from isolde.checkers.linearizable import LinearizableChecker
from isolde.histories import load_history

from ..conftest import CORPUS, run_cli

pytestmark = pytest.mark.skipif(
    not (CORPUS / "expected.tsv").exists(),
    reason=f"Porcupine corpus not found at {CORPUS} (../shared/corpus/porcupine from the repo)",
)


def _expected() -> list[tuple[str, str]]:
    if not (CORPUS / "expected.tsv").exists():
        return []
    rows = [ln.split("\t") for ln in (CORPUS / "expected.tsv").read_text().splitlines()[1:]]
    return [(f, v) for f, v in rows if v in ("linearizable", "not-linearizable")]


EXPECTED = _expected()


def test_corpus_is_complete() -> None:
    assert len(EXPECTED) == 108
    assert sum(f.startswith("jepsen/") for f, _ in EXPECTED) == 102


@pytest.mark.parametrize(("name", "verdict"), EXPECTED, ids=[f for f, _ in EXPECTED])
def test_porcupine_verdict(name: str, verdict: str) -> None:
    h = load_history(CORPUS / name)
    r = LinearizableChecker(CheckConfig()).check(h)
    assert r.valid is (verdict == "linearizable")
    assert r.data["model"] == ("kv" if name.startswith("kv/") else "cas-register")
    if r.valid is False:
        a = r.anomalies[0]
        assert a.type == "nonlinearizable" and a.data["states"] is not None
        assert h.pair(a.ops[0]) == a.ops[1]


def test_cli_formats_and_empty_log() -> None:
    etcd, kv = CORPUS / "jepsen" / "etcd_002.log", CORPUS / "kv" / "c10-bad.txt"
    r = run_cli("check", "--json", "--format", "porcupine-etcd", str(etcd))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["checkers"]["linearizable"]["valid"] is True
    r = run_cli("check", str(kv))
    assert r.returncode == 1, r.stderr
    text = " ".join(r.stdout.split())  # the terminal wraps the explanation anywhere
    assert "nonlinearizable" in text and "cannot be linearized" in text
    r = run_cli("check", "--format", "porcupine-kv", str(etcd))
    assert r.returncode == 254 and "etcd_002.log:1" in r.stderr
    r = run_cli("check", str(CORPUS / "jepsen" / "etcd_095.log"))
    assert r.returncode == 254
    assert r.stderr.strip().endswith("empty history (no ops)") and "Traceback" not in r.stderr


def test_early_stop_is_the_same_with_any_number_of_workers() -> None:
    """c50-bad has cheap failing keys and very hard ones: the check stops after the round that
    finds a violation, and which keys it reports does not depend on the workers."""
    h = load_history(CORPUS / "kv" / "c50-bad.txt")
    one = LinearizableChecker(CheckConfig(workers=1)).check(h)
    two = LinearizableChecker(CheckConfig(workers=2)).check(h)
    assert one.valid is False and two.data["workers"] == 2
    assert [a.to_json() for a in one.anomalies] == [a.to_json() for a in two.anomalies]
    assert one.data["stopped_after_violation"] == two.data["stopped_after_violation"]
    assert len(one.data["stopped_after_violation"]) >= 1


def test_hard_partitions_move_to_forked_workers_and_resume(monkeypatch) -> None:
    """With a small first round, c50-ok's keys outlast it: by default they are resumed in worker
    processes (inheriting the paused searches), which explore exactly what one process does."""
    monkeypatch.setattr("isolde.checkers.linearizable._checker.FIRST_ROUND", 300)
    h = load_history(CORPUS / "kv" / "c50-ok.txt")
    auto = LinearizableChecker(CheckConfig()).check(h)
    one = LinearizableChecker(CheckConfig(workers=1)).check(h)
    assert auto.valid is True and one.valid is True
    assert auto.data["workers"] == min(os.cpu_count() or 1, 10) and one.data["workers"] == 1
    assert auto.data["configurations"] == one.data["configurations"]


@pytest.mark.parametrize("name", ["jepsen/etcd_000.log", "jepsen/etcd_002.log", "kv/c10-bad.txt",
                                  "kv/c10-ok.txt"])
def test_converted_to_jsonl_and_edn_keeps_the_verdict(name: str, tmp_path) -> None:
    """Porcupine's logs -> JSONL -> EDN: each checks as the log does (a failed etcd CAS carries
    ``precondition-failed``, so it stays evidence)."""
    verdict = dict(EXPECTED)[name]
    jsonl, edn = tmp_path / "h.jsonl", tmp_path / "h.edn"
    assert run_cli("convert", str(CORPUS / name), str(jsonl)).returncode == 0
    assert run_cli("convert", str(jsonl), str(edn)).returncode == 0
    for path in (jsonl, edn):
        r = LinearizableChecker(CheckConfig()).check(load_history(path))
        assert r.valid is (verdict == "linearizable"), path
