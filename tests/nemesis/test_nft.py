"""nftables partitions on loopback (root and the nft command; skipped otherwise)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from isolde.harness import Scenario, run_scenario
from isolde.nemesis import fault_windows
from isolde.nemesis._nft import NftPartition, list_isolde_tables, nft_unavailable

from .httpserver import TinyClient, TinyServer, post
from .kvstore import KVStore

why = nft_unavailable()
pytestmark = pytest.mark.skipif(why is not None, reason=f"nftables partitions: {why}")


def test_partition_drops_the_port_and_heal_restores_it() -> None:
    async def go() -> None:
        async with TinyServer() as server:
            c = TinyClient(server.port)
            assert await c.call(post(b"a")) == b"1"
            cut = NftPartition([server.port])
            cut.apply()
            try:
                assert cut.table in list_isolde_tables()
                with pytest.raises(TimeoutError):  # the established connection stalls
                    await c.call(post(b"b"), timeout=0.5)
                fresh = TinyClient(server.port)
                with pytest.raises((TimeoutError, OSError)):  # a new one cannot connect
                    await asyncio.wait_for(fresh.call(post(b"c")), 0.5)
            finally:
                cut.heal()
            assert cut.table not in list_isolde_tables()
            c.close()
            again = TinyClient(server.port)
            assert await again.call(post(b"d"), timeout=5)
            again.close()

    asyncio.run(go())


def test_nemesis_partition_via_nftables_cleans_up(tmp_path: Path) -> None:
    before = set(list_isolde_tables())
    s = Scenario(store="kv-test", nemesis=("partition",), time_limit=2.0, concurrency=3, seed=1,
                 op_timeout=0.3, nemesis_interval=0.4, store_dir=tmp_path, checkers=("stats",),
                 nemesis_options={"partition_via": "nftables"},
                 workload_options={"keys": 2, "read_consistency": "strong"})
    out = run_scenario(s, store=KVStore())
    windows = fault_windows(out.history)
    assert windows and all(w.value["via"] == "nftables" for w in windows)
    assert all(w.value["table"].startswith("isolde-") for w in windows)
    assert any(op.type == "info" for op in out.history if op.process != "nemesis")
    assert set(list_isolde_tables()) == before  # every table it made is gone
