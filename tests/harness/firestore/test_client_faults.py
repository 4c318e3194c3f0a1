"""Client-path faults through gRPC interceptors on the AsyncClient's channel, against the
emulator: each fault, switched on for every request, ends a write and a read as
docs/firestore-errors.md says, and what a write ended as matches what the emulator holds."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from isolde.harness import ClientFaults
from isolde.harness.stores.firestore import FirestoreEmulatorStore

from . import _rig


class Rig(_rig.Rig):
    """The store's own client; the faults are its interceptors' switches."""

    def __init__(self) -> None:
        super().__init__(FirestoreEmulatorStore(seed=3))

    def before_clients(self) -> None:
        self.faults.schedule()  # as a nemesis with client faults does as it sets up

    @property
    def faults(self) -> ClientFaults:
        return self.store.client_faults

    def heal(self) -> None:
        self.faults.clear()

    def value(self, k: Any) -> Any:
        """What the emulator holds now, read with every fault off."""
        self.faults.clear()
        done = self.op("read", [k, None])
        assert done.type == "ok", done
        return done.value[1]


def test_throttle_answers_resource_exhausted_unsent(rig: Rig) -> None:
    rig.faults.throttle_p = 1.0
    w = rig.op("write", ["thr", 1])
    r = rig.op("read", ["thr", None])
    assert (w.type, w.error) == ("fail", "resource-exhausted")
    assert (r.type, r.error) == ("fail", "resource-exhausted")
    assert rig.value("thr") is None  # never sent: nothing applied
    assert rig.faults.throttled >= 2


def test_client_timeout_is_a_grpc_deadline(rig: Rig) -> None:
    rig.faults.timeout_s = 1e-6
    w = rig.op("write", ["late", 1])
    r = rig.op("read", ["late", None])
    assert (w.type, w.error) == ("info", "timeout")  # it may have applied
    assert (r.type, r.error) == ("fail", "timeout")  # a read changes nothing
    assert rig.faults.timeouts >= 2


def test_cancel_after_send_is_info_for_a_write_fail_for_a_read(rig: Rig) -> None:
    rig.faults.cancel_p, rig.faults.cancel_delay_s = 1.0, 0.0
    w = rig.op("write", ["cnc", 1])
    r = rig.op("read", ["cnc", None])
    assert (w.type, w.error) == ("info", "cancelled")
    assert (r.type, r.error) == ("fail", "cancelled")
    assert rig.faults.cancelled >= 2


def test_unavailable_before_or_after_sending_is_info_and_some_applied(rig: Rig) -> None:
    rig.faults.unavailable_p = 1.0
    done = [rig.op("write", [f"un{i}", i]) for i in range(12)]
    assert {(d.type, d.error) for d in done} == {("info", "unavailable")}
    r = rig.op("read", ["un0", None])
    assert (r.type, r.error) == ("fail", "unavailable")
    held = [rig.value(f"un{i}") for i in range(12)]
    # Before sending, nothing applied; after the reply, the write is there: both happened.
    assert None in held and any(v is not None for v in held), held


def test_lost_reply_of_a_write_is_info_and_the_write_applied(rig: Rig) -> None:
    rig.faults.lost_p = 1.0
    w = rig.op("write", ["lost", 7])
    assert (w.type, w.error) == ("info", "timeout")
    assert rig.value("lost") == 7
    assert rig.faults.lost >= 1


def test_a_commit_retried_after_its_lost_reply_is_info_not_fail(rig: Rig) -> None:
    """google-api-core retries a transaction's commit after UNAVAILABLE with the same transaction
    id; when the first commit applied, the retry is refused ("Transaction is invalid or closed").
    That op applied, so it must not be ``fail``. Hunted until met (each op meets it with a
    probability of about 1/8 under these switches; 300 ops make missing it impossible in
    practice)."""
    rig.faults.unavailable_p = 0.5
    for i in range(300):
        done = rig.op("txn", [["append", f"tc{i}", 1]])
        assert done.type != "fail" or done.error != "invalid-argument", done
        if done.error == "transaction-closed":
            assert done.type == "info"
            assert rig.value(f"tc{i}") == [1]  # the first commit applied
            return
    pytest.fail("no commit retried after a lost reply in 300 transactions")


def test_duplicated_transaction_commit_applies_once(rig: Rig) -> None:
    rig.faults.duplicate_p, rig.faults.duplicate_delay_s = 1.0, 0.05
    done = rig.op("txn", [["append", "dupt", 1]])
    assert done.type == "ok", done
    before = rig.faults.duplicated
    rig.run(asyncio.sleep(0.3))  # the copies have arrived
    assert before >= 1
    assert rig.value("dupt") == [1]  # the copy of the commit was refused: its txn was over


def test_duplicated_plain_write_applies_again_later(rig: Rig) -> None:
    """The copy of a write lands after a later write: the register goes back (a retry storm's
    harm). Tried until a copy lands after the next write (each try nearly always does)."""
    for i in range(50):
        k = f"dupw{i}"
        rig.faults.duplicate_p, rig.faults.duplicate_delay_s = 1.0, 0.2
        assert rig.op("write", [k, 1]).type == "ok"
        rig.faults.clear()
        assert rig.op("write", [k, 2]).type == "ok"
        rig.run(asyncio.sleep(0.3))
        if rig.value(k) == 1:
            return
    pytest.fail("no duplicate landed after a later write in 50 tries")


def test_the_services_channel_carries_the_interceptors_too() -> None:
    """The cloud store's channel (TLS, made by the transport) is made with the interceptors: a
    throttled request is answered before anything is sent, so no network is needed."""
    from google.api_core.exceptions import ResourceExhausted
    from google.auth.credentials import AnonymousCredentials

    from isolde.harness.stores.firestore._faults import faultable_client, new_client_faults

    async def go() -> None:
        faults = new_client_faults(0)
        faults.throttle_p = 1.0
        client = faultable_client(faults, project="isolde", credentials=AnonymousCredentials())
        try:
            with pytest.raises(ResourceExhausted, match="injected"):
                await client.collection("c").document("d").get(retry=None, timeout=5)
        finally:
            await client._firestore_api.transport.close()
        assert faults.throttled == 1

    asyncio.run(go())


def test_the_nemesis_injects_reply_faults_at_the_client_and_the_rest_in_the_proxy() -> None:
    from isolde.nemesis import NemesisOptions, make_nemesis

    store = FirestoreEmulatorStore()
    nem = make_nemesis(["lost-response", "duplicate", "unavailable"], store, NemesisOptions())
    # No fault proxy: the client's interceptors do it (the one resource schedules them).
    assert [type(r).__name__ for r in nem.resources] == ["ClientHooks"]
    nem = make_nemesis(["partition", "latency", "reset"], store, NemesisOptions())
    assert len(nem.resources) == 1  # the fault proxy, shared by the three


def test_scheduled_faults_give_the_workers_a_client_of_their_own(rig: Rig) -> None:
    """The workers' requests pass the interceptors; the admin's (setup, teardown) never do."""
    assert rig.store.conn is not None and rig.store.conn.client is not rig.store.admin
    rig.faults.throttle_p = 1.0
    assert rig.op("read", ["own", None]).error == "resource-exhausted"
    assert rig.run(rig.store.admin.collection(rig.store.collection).document("x").get(
        retry=None, timeout=10)).exists is False  # the admin's client is not throttled


def test_unscheduled_faults_leave_the_interceptors_out() -> None:
    """A run whose nemesis has no client fault: the workers share the admin's client, without
    the interceptors (they cost on every request), and scheduling faults after that is refused
    rather than silently never injecting them. (No emulator: the admin's client stands in.)"""
    store = FirestoreEmulatorStore(seed=4)
    store.admin = admin = object()  # what setup leaves: the client with the direct line
    asyncio.run(store.open_client(0))
    assert store.conn is not None and store.conn.client is admin
    with pytest.raises(RuntimeError, match="without their hooks"):
        store.client_faults.schedule()
