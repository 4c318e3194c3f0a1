"""Client-path faults in the SDK's transport (docs/cosmos-errors.md, a test per row), the usage
the cloud audit reads from the response headers, and the session token and consistency level as
the SDK sends them -- on cosmosdb-server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from isolde.checkers import CheckConfig
from isolde.harness import (
    CancelledAfterSend,
    ClientFaultable,
    ClientTimeout,
    Scenario,
    run_scenario,
)
from isolde.harness.stores.cosmos import CosmosEmulatorStore, CosmosOptions, CosmosWorker, classify
from isolde.histories import Op

pytestmark = pytest.mark.usefixtures("cosmosdb_server_installed")


def op(f: str, value: Any, **extra: Any) -> Op:
    return Op(0, 0, "invoke", 0, f, value, extra=extra)


def on_emulator(body: Callable[[CosmosEmulatorStore, CosmosWorker], Awaitable[Any]],
                **options: Any) -> Any:
    async def main() -> Any:
        store = CosmosEmulatorStore(CosmosOptions(read_via="query", **options), seed=1)
        await store.setup()
        try:
            return await body(store, await store.open_client(0))
        finally:
            await store.teardown()

    return asyncio.run(main())


def test_the_emulator_store_takes_client_faults() -> None:
    assert isinstance(CosmosEmulatorStore(), ClientFaultable)


def test_a_throttled_request_is_resent_and_the_op_records_its_retries() -> None:
    async def body(store: CosmosEmulatorStore, w: CosmosWorker) -> list[Op]:
        store.client_faults.throttle_p = 0.5
        # Each op's requests are throttled with p = 0.5 (a seeded draw): within 50 ops some
        # are retried and still succeed.
        return [await w.invoke(op("write", [1, i])) for i in range(50)]

    done = on_emulator(body)
    assert all(d.type == "ok" for d in done)
    assert any(d.extra.get("retries", 0) >= 1 for d in done)


def test_when_the_sdk_gives_up_the_op_fails_throttled_with_its_retries() -> None:
    async def body(store: CosmosEmulatorStore, w: CosmosWorker) -> tuple[Op, Op, int]:
        store.client_faults.throttle_p = 1.0
        write, read = await w.invoke(op("write", [1, 5])), await w.invoke(op("read", [1, None]))
        return write, read, store.usage.throttled

    write, read, throttled = on_emulator(body, throttle_retries=3)
    assert (write.type, write.error, write.extra["retries"]) == ("fail", "throttled", 3)
    # The write: its request and 3 resends, all answered 429. The read is a query here (the
    # emulator store's read), whose pages the SDK retries inside its own retried call: more.
    assert (read.type, read.error) == ("fail", "throttled") and read.extra["retries"] >= 3
    assert throttled == 4 + read.extra["retries"] + 1


def test_client_timeout_on_a_write_is_info_and_on_a_read_fail() -> None:
    async def body(store: CosmosEmulatorStore, w: CosmosWorker) -> tuple[Op, Op]:
        store.client_faults.timeout_s = 1e-6
        return await w.invoke(op("write", [1, 5])), await w.invoke(op("read", [1, None]))

    write, read = on_emulator(body)
    assert (write.type, write.error) == ("info", "client-timeout")
    assert (read.type, read.error) == ("fail", "client-timeout")


def test_cancel_after_send_on_a_write_is_info() -> None:
    async def body(store: CosmosEmulatorStore, w: CosmosWorker) -> tuple[Op, int]:
        faults = store.client_faults
        faults.cancel_p, faults.cancel_delay_s = 1.0, 0.0
        return await w.invoke(op("write", [1, 5])), faults.cancelled

    write, cancelled = on_emulator(body)
    assert (write.type, write.error) == ("info", "cancelled-after-send")
    assert cancelled == 1


@pytest.mark.parametrize(("error", "kind"), [
    (ClientTimeout("x"), "client-timeout"), (CancelledAfterSend("x"), "cancelled-after-send")])
def test_client_fault_rows(error: BaseException, kind: str) -> None:
    assert tuple(classify(error)) == ("info", kind)


def test_usage_is_read_from_the_response_headers() -> None:
    async def body(store: CosmosEmulatorStore, w: CosmosWorker) -> tuple[int, float]:
        # The first ops also read what the SDK caches (the container, its partitions).
        await w.invoke(op("write", [1, 4]))
        await w.invoke(op("read", [1, None]))
        before, ru = store.usage.requests, store.usage.ru
        await w.invoke(op("write", [1, 5]))
        await w.invoke(op("read", [1, None]))
        return store.usage.requests - before, store.usage.ru - ru

    requests, ru = on_emulator(body)
    assert requests == 2
    assert ru > 0  # cosmosdb-server sends x-ms-request-charge too


async def _sent_headers(w: CosmosWorker, mode: str) -> dict[str, str]:
    seen: dict[str, str] = {}
    kw = w.request_options(mode)
    kw["raw_request_hook"] = lambda r: seen.update(r.http_request.headers)
    await w.container.read_item("1", partition_key="1", **kw)
    return seen


@pytest.mark.parametrize("tokens", ["keep", "drop"])
def test_a_session_read_carries_the_workers_token_unless_dropped(tokens: str) -> None:
    async def body(store: CosmosEmulatorStore, w: CosmosWorker) -> tuple[dict[str, str], ...]:
        await w.invoke(op("write", [1, 5]))
        # cosmosdb-server sends no session tokens: give the worker two, as the service would.
        w._hook({"x-ms-session-token": "0:-1#12"})
        w._hook({"x-ms-session-token": "1:-1#7"})
        return await _sent_headers(w, "session"), await _sent_headers(w, "eventual")

    session, eventual = on_emulator(body, session_tokens=tokens)
    assert session["x-ms-consistency-level"] == "Session"
    assert session.get("x-ms-session-token") == ("0:-1#12,1:-1#7" if tokens == "keep" else None)
    assert eventual["x-ms-consistency-level"] == "Eventual"
    assert "x-ms-session-token" not in eventual


def test_workers_keep_their_own_tokens() -> None:
    a, b = CosmosWorker(None, "point", "session"), CosmosWorker(None, "point", "session")
    a._hook({"x-ms-session-token": "0:-1#5"})
    a._hook({"x-ms-session-token": "0:-1#6"})  # a later token of the same range replaces it
    assert a.session_token == "0:-1#6" and b.session_token is None


def test_the_throttle_nemesis_is_absorbed_by_the_sdk_and_recorded(tmp_path: Path) -> None:
    # The fault starts after one quiet second and lasts one: ample time on a loaded machine,
    # and every op in the window has each request throttled with p = 0.5.
    out = run_scenario(Scenario(
        store="cosmos-emulator", time_limit=8.0, concurrency=4, op_timeout=5.0,
        store_dir=tmp_path, nemesis=("throttle",), nemesis_interval=1.0, seed=3,
        check=CheckConfig(time_limit=60),
        workload_options={"keys": 3, "ops_per_key": 80, "read_consistency": "strong"}))
    assert out.results["faults"]["by_fault"]["throttle"]["count"] >= 1
    assert any(o.extra.get("retries") for o in out.history if o.process != "nemesis")
    assert out.results["valid"] is True
