"""Ops/s of an isolde run against the Firestore emulator vs a raw AsyncClient loop, in one run.

Starts one Firestore emulator (the Google Cloud CLI's jar, located as the store does), warms its
JIT up (3 rounds' worth of raw load), then alternates rounds of (a) a raw loop: ``concurrency``
asyncio tasks issuing the register mix straight through one google-cloud-firestore AsyncClient --
50% document get, 25% set, 25% CAS (a get, then an update with the ``last_update_time``
precondition, as the store does) -- on 5 keys at a time, moving to 5 fresh keys every 1,000 ops
as the register workload does (5 keys x 200 ops), in a fresh collection per round, nothing
recorded; and (b) ``isolde``: the register workload through the harness's Runner -- what
``isolde run`` runs -- on the ``firestore`` store pointed at that emulator (``--emulator-host``),
the history streamed to disk (checking it afterwards is not timed). Rounds alternate which goes
first. Prints ops/s and this process's CPU time per op for each round, and the ratio of the
medians. Asserts nothing about time.

    python benchmarks/firestore_overhead.py [--seconds 8] [--concurrency 10] [--rounds 3]
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import time
from typing import Any

from _overhead import alternate, isolde_round, parse_args
from google.api_core.exceptions import GoogleAPICallError

from isolde.harness.stores.firestore import FIRESTORE_EMULATOR, CloudOptions, FirestoreStore


def raw_client(host: str) -> Any:
    from google.cloud.firestore import AsyncClient

    os.environ["FIRESTORE_EMULATOR_HOST"] = host  # read when the client is made
    try:
        return AsyncClient(project="isolde")
    finally:
        del os.environ["FIRESTORE_EMULATOR_HOST"]


async def raw_round(host: str, seconds: float, concurrency: int,
                    collection: str) -> tuple[int, float]:
    client = raw_client(host)
    root = client.collection(collection)
    # Untimed, as the store's setup does: the first request waits for the emulator's gRPC
    # service to warm up (seconds on a busy machine).
    await root.document("warm-up").get(timeout=60.0)
    done = 0
    t0 = time.monotonic()
    deadline = t0 + seconds

    async def cas(ref: Any, n: int) -> None:
        snap = await ref.get(retry=None, timeout=4.0)
        if not snap.exists:
            await ref.create({"v": n}, retry=None, timeout=4.0)
            return
        option = client.write_option(last_update_time=snap.update_time)
        await ref.update({"v": n}, option=option, retry=None, timeout=4.0)

    async def worker(w: int) -> None:
        nonlocal done
        rng = random.Random(w)
        n = 0
        while time.monotonic() < deadline:
            ref = root.document(str(done // 1000 * 5 + rng.randrange(5)))
            r = rng.random()
            n += 1
            try:
                if r < 0.5:
                    await ref.get(retry=None, timeout=4.0)
                elif r < 0.75:
                    await ref.set({"v": n}, retry=None, timeout=4.0)
                else:
                    await cas(ref, n)
            except GoogleAPICallError:
                pass  # a refused CAS or a timeout: an op all the same, as in isolde's history
            done += 1

    try:
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.monotonic() - t0
    finally:
        await client._firestore_api.transport.close()
    return done, elapsed


def store(host: str, seed: int) -> FirestoreStore:
    """The ``firestore`` store at the emulator: the cloud's code path (``--emulator-host``)."""
    return FirestoreStore(CloudOptions(emulator_host=host, project="isolde", yes=True), seed=seed)


def main() -> None:
    a = parse_args()
    os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
    emu = FIRESTORE_EMULATOR.make()
    h, p = asyncio.run(emu.start())
    host = f"{h}:{p}"
    print(f"Firestore emulator at {host}; python {platform.python_version()}; "
          f"concurrency {a.concurrency}; {a.seconds:g} s per round; "
          f"load average {os.getloadavg()[0]:.1f}")
    try:
        # JIT warm-up: a fresh JVM speeds up over the first seconds of load.
        asyncio.run(raw_round(host, 3 * a.seconds, a.concurrency, "isolde-bench-warmup"))
        print(alternate(
            a.rounds,
            lambda r: raw_round(host, a.seconds, a.concurrency, f"isolde-bench-raw-{r}"),
            lambda r, tmp: isolde_round(store(host, r), a.seconds, a.concurrency, r, tmp)))
        print(f"load average {os.getloadavg()[0]:.1f}")
    finally:
        asyncio.run(emu.stop())


if __name__ == "__main__":
    main()
