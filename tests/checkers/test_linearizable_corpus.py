"""Acceptance: Porcupine's verdict on every file of its test corpus (102 etcd + 6 kv logs)."""

from __future__ import annotations

import json

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
    assert "nonlinearizable" in r.stdout and "cannot be linearized" in r.stdout
    r = run_cli("check", "--format", "porcupine-kv", str(etcd))
    assert r.returncode == 254 and "etcd_002.log:1" in r.stderr
    r = run_cli("check", str(CORPUS / "jepsen" / "etcd_095.log"))
    assert r.returncode == 254
    assert r.stderr.strip().endswith("empty history (no ops)") and "Traceback" not in r.stderr
