"""The cosmos-emulator store on cosmosdb-server (installed by the tests into the user cache, as
dynalite is): the conformance suite, runs to a verdict, the refusals, read consistencies as the
SDK sends them, and the kill fault losing the emulator's memory."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from isolde.checkers import CheckConfig
from isolde.harness import Scenario, Store, make_store, run_scenario
from isolde.harness.stores.cosmos import LEVELS, CosmosEmulatorStore, CosmosOptions
from isolde.harness.testing import StoreConformance

from ...conftest import run_cli
from ...hunt import hunt
from ...nemesis._stale import assert_kill_lost_writes, assert_lost_replies_are_info, stale_reads

pytestmark = pytest.mark.usefixtures("cosmosdb_server_installed")


class TestCosmosEmulatorConformance(StoreConformance):
    def make_store(self) -> Store:
        return make_store("cosmos-emulator", {"request_timeout": 1.0})


def _run(tmp: Path, **kw: Any) -> Any:
    base: dict[str, Any] = dict(
        store="cosmos-emulator", time_limit=3.0, concurrency=4, op_timeout=2.0, store_dir=tmp,
        check=CheckConfig(time_limit=60),
        workload_options={"keys": 3, "ops_per_key": 80, "read_consistency": "strong"})
    base.update(kw)
    return run_scenario(Scenario(**base))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_register_is_valid_without_faults(tmp_path: Path, seed: int) -> None:
    out = _run(tmp_path, seed=seed)
    assert out.results["valid"] is True
    assert sum(1 for op in out.history if op.f == "cas" and op.is_ok) > 0


def test_causal_is_valid_without_faults(tmp_path: Path) -> None:
    out = _run(tmp_path, workload="causal", seed=4)
    assert out.results["valid"] is True


@pytest.mark.parametrize(("workload", "why"), [
    ("list-append", "it lacks txn (cosmosdb-server rejects the SDK's transactional batch"),
    ("bank", "it lacks bank (a transfer needs an atomic transactional batch"),
])
def test_transactional_workloads_are_refused_saying_why(tmp_path: Path, workload: str,
                                                        why: str) -> None:
    r = run_cli("run", "--store", "cosmos-emulator", "--workload", workload,
                "--store-dir", str(tmp_path))
    assert r.returncode == 254
    assert why in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir()), "refused before anything ran"


def test_cli_run_gives_a_verdict(tmp_path: Path) -> None:
    r = run_cli("run", "--store", "cosmos-emulator", "--time-limit", "2", "--store-dir",
                str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "VALID" in r.stdout


@pytest.mark.parametrize("mode", sorted(LEVELS))
def test_read_consistency_is_the_sdk_request_header(mode: str) -> None:
    async def main() -> list[str | None]:
        store = CosmosEmulatorStore(CosmosOptions(read_via="point"))
        await store.setup()
        try:
            worker = await store.open_client(0)
            await worker.container.upsert_item({"id": "1", "v": 1})
            seen: list[str | None] = []
            kw = worker.request_options(mode)
            kw["raw_request_hook"] = lambda r: seen.append(
                r.http_request.headers.get("x-ms-consistency-level"))
            await worker.container.read_item("1", partition_key="1", **kw)
            return seen
        finally:
            await store.teardown()

    assert asyncio.run(main()) == [LEVELS[mode]]


def test_session_reads_carry_the_workers_own_token() -> None:
    from isolde.harness.stores.cosmos import CosmosWorker

    a, b = CosmosWorker(None, "point", "session"), CosmosWorker(None, "point", "session")
    a._hook({"x-ms-session-token": "0:1#5"}, None)
    assert a.request_options("session")["session_token"] == "0:1#5"
    assert "session_token" not in b.request_options("session")
    assert "session_token" not in a.request_options("eventual")


def test_kill_loses_acknowledged_writes(tmp_path: Path) -> None:
    # The emulator keeps everything in memory: a read after the restart, of a key written
    # before it and not since, returns nothing (a race: seeds until it shows).
    # Long enough for the kill to heal mid-run: a restart of node takes seconds on a loaded
    # machine, and only reads after it show the loss.
    out = hunt(lambda seed: _run(tmp_path / str(seed), nemesis=("kill",), seed=seed,
                                 time_limit=10.0, nemesis_interval=2.0,
                                 checkers=("linearizable", "stats"),
                                 workload_options={"keys": 6, "ops_per_key": 100_000,
                                                   "read_consistency": "strong"}),
               lambda out: bool(stale_reads(out.history)[0]), first_seed=2)
    assert_kill_lost_writes(out)


def test_lost_responses_are_info_and_linearizable(tmp_path: Path) -> None:
    out = _run(tmp_path, nemesis=("lost-response",), seed=5, nemesis_interval=0.8,
               nemesis_options={"lost_response_p": 0.3})
    assert_lost_replies_are_info(out)


def test_duplicated_upserts_put_old_values_back_and_are_caught(tmp_path: Path) -> None:
    # The proxy delivers a copy of a request up to 100 ms later: a copy of an upsert landing
    # after a newer write of its key puts the old value back, and a later read sees it. Which
    # copies land late is a race: seeds until it shows.
    out = hunt(lambda seed: _run(tmp_path / str(seed), nemesis=("duplicate",), seed=seed,
                                 nemesis_interval=0.8, checkers=("linearizable", "stats")),
               lambda out: out.results["checkers"]["linearizable"]["valid"] is False,
               first_seed=6)
    assert out.results["faults"]["by_fault"]["duplicate"]["count"] >= 1
    assert out.results["checkers"]["linearizable"]["valid"] is False
