"""The outbox workload on the Firestore emulator under client-path faults (the gRPC hook): the
record in the transfer's transaction is there exactly once for every committed transfer; the
dual-write control, a separate ``set`` after the transaction, loses records once the publish
is throttled. And what DynamoDB Local shows as a phantom record (a refused transfer's duplicated
commit) cannot happen here: a refused transfer rolls back, it never sends a commit to copy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from isolde.harness import Outcome, Scenario, run_scenario

from ...hunt import hunt
from ..verdicts import assert_only_lost_outbox_records

pytestmark = [pytest.mark.usefixtures("firestore_jar"), pytest.mark.emulator]


def run(tmp: Path, seed: int, mode: str, nemesis: tuple[str, ...], concurrency: int = 3,
        **options: Any) -> Outcome:
    # Capped by op count (with a generous time limit), however busy the machine. The emulator's
    # pessimistic locks make contended transfers slow (a contender waits 2 s): many accounts,
    # few workers. Balances of 1,000 each cannot run short in 200 transfers of at most 5.
    opts = {"outbox_mode": mode, "accounts": 10, "total": 10_000, **options}
    return run_scenario(Scenario(
        store="firestore-emulator", workload="outbox", time_limit=240.0, max_ops=200,
        concurrency=concurrency, seed=seed, store_dir=tmp / str(seed), nemesis=nemesis,
        nemesis_interval=0.5, workload_options={"options": opts}))


def outbox(out: Outcome) -> dict[str, Any]:
    result: dict[str, Any] = out.results["checkers"]["outbox"]
    return result


def test_transactional_outbox_is_valid_under_client_faults(tmp_path: Path) -> None:
    out = run(tmp_path, 1, "txn", ("duplicate", "lost-response", "throttle"))
    assert out.valid is True, out.results["anomaly_types"]
    o = outbox(out)
    assert o["transfers"]["ok"] > 50, "too little load to judge"
    # Every record read is a committed transfer's (or an unknown one's that did commit).
    assert o["records"] == o["transfers"]["ok"] + o["info_published"]
    assert set(out.results["faults"]["by_fault"]) == {"duplicate", "lost-response", "throttle"}


def test_dual_write_control_loses_records_under_throttling(tmp_path: Path) -> None:
    # While the fault is on, half of the RPCs are refused unsent with RESOURCE_EXHAUSTED: a
    # publish (a plain set, sent with retry=None) that draws it is lost, its transfer ok.
    out = hunt(lambda seed: run(tmp_path, seed, "separate", ("throttle",)),
               lambda o: o.valid is False, first_seed=1)
    assert_only_lost_outbox_records(out)


def test_a_refused_transfer_never_publishes_even_duplicated(tmp_path: Path) -> None:
    # The setting in which DynamoDB Local shows phantom records (half of the transfers refused
    # for insufficient funds, every commit liable to be sent twice): on Firestore a refused
    # transfer rolls its transaction back, so there is no commit to copy. One worker, as there:
    # two accounts are one lock for every transfer.
    out = run(tmp_path, 1, "txn", ("duplicate",), concurrency=1, accounts=2, total=6)
    o = outbox(out)
    assert out.valid is True, o["anomalies"][:3]
    assert out.results["checkers"]["stats"]["by_f"]["transfer"].get("fail", 0) > 20
    assert o["records"] == o["transfers"]["ok"] + o["info_published"]
