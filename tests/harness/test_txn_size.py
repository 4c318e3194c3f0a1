"""A workload whose transactions touch more items than the store takes is refused before the
run: on DynamoDB (100 items) and moto (25) every bank read of more accounts fails validation,
and the run would be nothing but failed reads -- a verdict of ``unknown`` after a full load."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from isolde._errors import UsageError
from isolde.harness import Scenario, TxnBounded, prepare_scenario
from isolde.workloads import TxnSized

from ..conftest import ROOT


def prepare(store: str, accounts: int) -> None:
    prepare_scenario(Scenario(store=store, workload="bank",
                              workload_options={"options": {"accounts": accounts}}))


@pytest.mark.parametrize(("store", "limit"), [("moto", 25), ("dynamodb-local", 100)])
def test_bank_reads_within_the_limit_pass_and_past_it_are_refused(store: str, limit: int) -> None:
    prepare(store, limit)
    with pytest.raises(UsageError, match=f"at most {limit} items in a transaction.*{limit + 1}"):
        prepare(store, limit + 1)


def test_a_store_without_a_limit_takes_any_size() -> None:
    prepare("memory", 1000)


def test_workloads_and_stores_declare_their_sizes() -> None:
    p = prepare_scenario(Scenario(store="moto", workload="list-append"))
    assert isinstance(p.workload, TxnSized) and isinstance(p.store, TxnBounded)
    assert p.workload.txn_items <= p.store.max_txn_items
    assert not isinstance(prepare_scenario(Scenario(store="memory")).store, TxnBounded)


def test_refused_in_one_line_before_anything_runs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, "-m", "isolde", "run", "--store", "moto", "--workload",
                        "bank", "--accounts", "26", "--store-dir", str(out)],
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert p.returncode == 254
    assert p.stderr.count("\n") == 1 and "at most 25 items" in p.stderr, p.stderr
    assert not out.exists()  # no run directory: nothing started
