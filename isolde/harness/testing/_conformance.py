"""The conformance checks and the pytest mixin that runs them (see the package docstring)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from ...histories import Op
from .._store import Client, Managed, Redirectable, Store

_SEQ = itertools.count()


class ConformanceError(AssertionError):
    """A store broke the contract: the message says which op and what came back."""


class _Session:
    """Invokes ops on one client of a set-up store, checking each completion's shape."""

    def __init__(self, store: Store, client: Client) -> None:
        self.store = store
        self.client = client
        self.process = 0

    async def op(self, f: str, value: Any, **extra: Any) -> Op:
        inv = Op(next(_SEQ), 0, "invoke", self.process, f, value, None, extra)
        try:
            done = await self.client.invoke(inv)
        except Exception as e:  # the contract: complete as fail or info, never raise
            raise ConformanceError(f"{f} {value!r}: invoke raised {e!r}") from e
        if done.type not in ("ok", "fail", "info"):
            raise ConformanceError(f"{f} {value!r}: completion type {done.type!r}")
        if done.f != f or done.process != inv.process:
            raise ConformanceError(f"{f} {value!r}: completion of another op: {done}")
        if done.type != "ok" and not done.error:
            raise ConformanceError(f"{f} {value!r}: {done.type} without an error")
        if done.type == "info":
            self.process += 1000  # Jepsen's rule, kept here too: never reuse the process
        return done

    async def ok(self, f: str, value: Any, **extra: Any) -> Any:
        done = await self.op(f, value, **extra)
        if done.type != "ok":
            raise ConformanceError(f"{f} {value!r}: expected ok, got {done.type} {done.error}")
        return done.value

    async def expect(self, f: str, value: Any, want: Any, **extra: Any) -> None:
        got = await self.ok(f, value, **extra)
        if got != want:
            raise ConformanceError(f"{f} {value!r}: expected {want!r}, got {got!r}")


def _key(tag: str) -> Any:
    """A key no other check uses (integers, as the workloads use)."""
    return 10_000 + 100 * next(_SEQ) + len(tag)


async def check_register(s: _Session) -> None:
    """Absent keys read None; a strong read sees the last write; keys are independent."""
    a, b = _key("a"), _key("b")
    await s.expect("read", [a, None], [a, None], consistency="strong")
    await s.expect("write", [a, 1], [a, 1])
    await s.expect("read", [a, None], [a, 1], consistency="strong")
    await s.expect("write", [a, 2], [a, 2])
    await s.expect("write", [b, 7], [b, 7])
    await s.expect("read", [a, None], [a, 2], consistency="strong")
    await s.expect("read", [b, None], [b, 7], consistency="strong")


async def check_cas(s: _Session) -> None:
    """CAS from None creates; a wrong expected value fails and changes nothing."""
    if "cas" not in s.store.capabilities:
        raise _Skip("no cas capability")
    k = _key("cas")
    await s.expect("cas", [k, [None, 1]], [k, [None, 1]])
    done = await s.op("cas", [k, [5, 2]])
    if done.type != "fail" or done.error != "precondition-failed":
        raise ConformanceError(f"cas with a wrong old value: {done.type} {done.error}, "
                               "expected fail precondition-failed")
    await s.expect("read", [k, None], [k, 1], consistency="strong")
    await s.expect("cas", [k, [1, 2]], [k, [1, 2]])
    done = await s.op("cas", [k, [None, 3]])
    if done.type != "fail":
        raise ConformanceError(f"cas from None on an existing key: {done.type}, expected fail")
    await s.expect("read", [k, None], [k, 2], consistency="strong")


async def check_transactions(s: _Session) -> None:
    """List-append transactions: single- and multi-key, reads see earlier appends of the same
    transaction, read-only and read-write transactions see committed state."""
    if "txn" not in s.store.capabilities:
        raise _Skip("no txn capability")
    a, b = _key("ta"), _key("tb")
    got = await s.ok("txn", [["r", a, None], ["append", a, 1], ["r", a, None]])
    if got[0][2] not in (None, []) or got[2] != ["r", a, [1]]:
        raise ConformanceError(f"single-key txn read its own append wrongly: {got}")
    await s.ok("txn", [["append", a, 2], ["append", b, 1]])
    got = await s.ok("txn", [["r", a, None], ["r", b, None]])
    if got != [["r", a, [1, 2]], ["r", b, [1]]]:
        raise ConformanceError(f"multi-key read after appends: {got}")
    got = await s.ok("txn", [["r", a, None], ["append", b, 2], ["append", a, 3],
                             ["r", b, None]])
    if got[0] != ["r", a, [1, 2]] or got[3] != ["r", b, [1, 2]]:
        raise ConformanceError(f"multi-key read-write txn: {got}")
    got = await s.ok("txn", [["r", a, None], ["r", b, None]])
    if got != [["r", a, [1, 2, 3]], ["r", b, [1, 2]]]:
        raise ConformanceError(f"state after a read-write txn: {got}")


async def check_bank(s: _Session) -> None:
    """Bank ops: init, transactional transfer, snapshot read; overdrafts and missing accounts
    fail without effect."""
    if "bank" not in s.store.capabilities:
        raise _Skip("no bank capability")
    x, y, z = _key("x"), _key("y"), _key("z")
    await s.ok("init", {x: 10, y: 10})
    await s.ok("transfer", {"from": x, "to": y, "amount": 4})
    await s.expect("read", {x: None, y: None}, {x: 6, y: 14})
    done = await s.op("transfer", {"from": x, "to": y, "amount": 7})
    if done.type != "fail" or done.error != "insufficient-funds":
        raise ConformanceError(f"overdraft: {done.type} {done.error}, "
                               "expected fail insufficient-funds")
    done = await s.op("transfer", {"from": x, "to": z, "amount": 1})
    if done.type != "fail" or done.error != "missing-account":
        raise ConformanceError(f"transfer to a missing account: {done.type} {done.error}, "
                               "expected fail missing-account")
    await s.expect("read", {x: None, y: None, z: None}, {x: 6, y: 14})


async def check_outbox(s: _Session) -> None:
    """Outbox transfers (:mod:`isolde.workloads.outbox`): the record written in the transfer's
    transaction (``txn``) or after it (``separate``); a refused transfer writes none;
    ``read-outbox`` lists every record."""
    if "outbox" not in s.store.capabilities:
        raise _Skip("no outbox capability")
    x, y = _key("ox"), _key("oy")
    await s.ok("init", {x: 10, y: 10})
    ids = [f"conformance-{next(_SEQ)}" for _ in range(4)]
    moves = [{"from": x, "to": y, "amount": n, "id": i} for n, i in zip((3, 2, 50, 60), ids,
                                                                        strict=True)]
    for move, mode in zip(moves, ("txn", "separate", "txn", "separate"), strict=True):
        done = await s.op("transfer", move, outbox=mode, bank_mode="txn")
        want = "ok" if move["amount"] < 10 else "fail"
        if done.type != want:
            raise ConformanceError(f"outbox transfer {move} ({mode}): {done.type} {done.error}, "
                                   f"expected {want}")
    records = [r for r in await s.ok("read-outbox", None)
               if isinstance(r, dict) and r.get("id") in ids]
    want_records = [dict(m) for m in moves[:2]]
    if sorted(records, key=lambda r: r["id"]) != sorted(want_records, key=lambda r: r["id"]):
        raise ConformanceError(f"read-outbox: expected the records {want_records}, got "
                               f"{records}")
    # The money moved, and only the ok transfers' (refused ones would overdraw x). Not the
    # exact balances: a store that ignores request tokens (moto) may apply a transaction the
    # client retried after a timeout twice -- the bank workload's business, not this check's.
    got = await s.ok("read", {x: None, y: None})
    bx, by = got.get(x), got.get(y)
    if not (isinstance(bx, int) and isinstance(by, int) and bx + by == 20 and 0 <= bx <= 5):
        raise ConformanceError(f"balances after the outbox transfers: {got}, expected the 5 "
                               f"moved from {x} to {y} (of 20 in all)")


async def check_errors(s: _Session) -> None:
    """Malformed or unsupported ops complete as ``fail`` with an error; they never raise."""
    k = _key("e")
    for f, value in [("write", "not-a-tuple"), ("frobnicate", [k, 1]), ("cas", [k, 3])]:
        done = await s.op(f, value)
        if done.type != "fail":
            raise ConformanceError(f"{f} {value!r}: {done.type}, expected fail")
    if "txn" not in s.store.capabilities:
        done = await s.op("txn", [["append", k, 1]])
        if done.type != "fail":
            raise ConformanceError(f"txn on a store without transactions: {done.type}")
    await s.expect("read", [k, None], [k, None], consistency="strong")


async def check_process_control(s: _Session) -> None:
    """Stores running their own server (:class:`Managed`): ops during a pause (when pausable)
    and after a kill complete as fail or info (never raise); after a restart (and the store's
    ``after_restart``), a persistent store serves its data again and an in-memory one still
    completes every op (its data, table included, is gone)."""
    store = s.store
    pc = store.process_control if isinstance(store, Managed) else None
    if not isinstance(store, Managed) or pc is None:
        raise _Skip("not a Managed store (no server of its own)")
    k = _key("pc")
    await s.expect("write", [k, 1], [k, 1])
    if store.pausable:
        pc.pause()
        try:
            done = await asyncio.wait_for(s.op("write", [k, 2]), 60)
            if done.type not in ("fail", "info"):
                raise ConformanceError(f"write to a paused store: {done.type}")
        finally:
            pc.resume()
    pc.kill()
    done = await s.op("read", [k, None], consistency="strong")
    if done.type == "ok":
        raise ConformanceError("read from a killed store came back ok")
    await pc.restart()
    await store.after_restart()
    if pc.persistent:
        got = await _first_ok(s, "read", [k, None], consistency="strong")
        if got not in ([k, 1], [k, 2]):  # the paused write may have applied
            raise ConformanceError(f"persistent store lost its data over a restart: {got}")
        await s.ok("write", [k, 3])
        await s.expect("read", [k, None], [k, 3], consistency="strong")
    else:
        for f, value in [("write", [k, 3]), ("read", [k, None])]:
            await s.op(f, value, consistency="strong")  # checked: completes, never raises


async def _first_ok(s: _Session, f: str, value: Any, patience: float = 30.0,
                    **extra: Any) -> Any:
    """The value of the first ok of ``f`` tried repeatedly for up to ``patience`` seconds: a
    just restarted process may be slow to serve its first requests."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    while True:
        done = await s.op(f, value, **extra)
        if done.type == "ok" or loop.time() > deadline:
            break
        await asyncio.sleep(0.2)
    if done.type != "ok":
        raise ConformanceError(f"{f} {value!r} after a restart: {done.type} {done.error}")
    return done.value


class _Skip(Exception):
    pass


Check = Callable[[_Session], Awaitable[None]]
CHECKS: dict[str, Check] = {
    "register": check_register,
    "cas": check_cas,
    "transactions": check_transactions,
    "bank": check_bank,
    "outbox": check_outbox,
    "errors": check_errors,
    "process_control": check_process_control,
}


def _pid_alive(pid: int) -> bool:
    """True while ``pid`` exists at all -- including as an unreaped zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def leftovers(pid: int | None, endpoint: tuple[str, int] | None,
              owns_endpoint: bool) -> list[str]:
    """What a torn-down store left behind that it started: a live or unreaped process, a port
    still answering."""
    found = []
    if pid is not None and _pid_alive(pid):
        found.append(f"process {pid} still exists (alive or not reaped)")
    if owns_endpoint and endpoint is not None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(endpoint) == 0:
                found.append(f"{endpoint[0]}:{endpoint[1]} still accepts connections")
    return found


async def run_check(store: Store, check: Check,
                    residue: Callable[[Store], Awaitable[list[str]]] | None = None) -> list[str]:
    """setup, ``check``, teardown; returns what was left behind (empty when clean). Raises
    ConformanceError when the store breaks the contract."""
    await store.setup()
    pid = endpoint = None
    owns = False
    try:
        client = await store.open_client(0)
        session = _Session(store, client)
        try:
            await check(session)
        finally:
            with contextlib.suppress(Exception):
                await client.close()
            # A store that started its own server must have stopped it (its process gone, its
            # port closed); one pointed at a server someone else runs leaves that server alone.
            owns = isinstance(store, Managed)
            pc = store.process_control if isinstance(store, Managed) else None
            pid = pc.pid if pc is not None else None
            endpoint = store.endpoint if isinstance(store, Redirectable) else None
    finally:
        await store.teardown()
    found = leftovers(pid, endpoint, owns)
    if residue is not None:
        found += await residue(store)
    return found


class StoreConformance:
    """Mix into a ``Test...`` class and define ``make_store``; one test per check.

    Override ``residue(store)`` (async, returns descriptions) to look for store-specific things
    left behind after teardown, e.g. a table that still exists.
    """

    def make_store(self) -> Store:
        raise NotImplementedError("define make_store() in the test class")

    async def residue(self, store: Store) -> list[str]:
        return []

    def _run(self, name: str) -> None:
        import pytest

        store = self.make_store()
        try:
            found = asyncio.run(run_check(store, CHECKS[name], self.residue))
        except _Skip as e:
            pytest.skip(f"{store.name}: {e}")
        assert not found, f"{store.name}: left behind after teardown: {'; '.join(found)}"

    def test_register(self) -> None:
        self._run("register")

    def test_cas(self) -> None:
        self._run("cas")

    def test_transactions(self) -> None:
        self._run("transactions")

    def test_bank(self) -> None:
        self._run("bank")

    def test_outbox(self) -> None:
        self._run("outbox")

    def test_errors(self) -> None:
        self._run("errors")

    def test_process_control(self) -> None:
        self._run("process_control")
