"""The pytest plugin and isolde_run: the user's own bank code judged by the bank checker."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from isolde import UsageError
from isolde.harness.emulators import EmulatorError
from isolde.harness.stores.dynamodb import DYNAMODB_LOCAL
from isolde.plugin import Refused, RunResult, isolde_run

from ..conftest import ROOT


class DictBank:
    """An in-process bank whose transfer reads, yields, then writes: a read-modify-write
    without a condition, like the example app's bug."""

    accounts: dict[int, int] = {}

    async def init(self, balances: dict[int, int]) -> None:
        type(self).accounts = dict(balances)

    async def transfer(self, src: int, dst: int, amount: int) -> None:
        a, b = self.accounts[src], self.accounts[dst]
        if a < amount:
            raise Refused("insufficient-funds")
        await asyncio.sleep(0.0005)  # the round trip between the read and the write
        self.accounts[src], self.accounts[dst] = a - amount, b + amount

    async def read_all(self) -> dict[int, int]:
        await asyncio.sleep(0)
        return dict(self.accounts)

    async def close(self) -> None:
        return None


class LockedBank(DictBank):
    lock: asyncio.Lock | None = None

    async def transfer(self, src: int, dst: int, amount: int) -> None:
        if LockedBank.lock is None:
            LockedBank.lock = asyncio.Lock()
        async with LockedBank.lock:
            await super().transfer(src, dst, amount)


def test_user_code_with_a_lost_update_is_invalid(tmp_path: Path) -> None:
    r = isolde_run(workload="bank", time_limit=1, app=DictBank, store_dir=tmp_path)
    assert r.valid is False and "wrong-total" in r.anomaly_types
    assert r.report_path == r.run_dir / "results.json" and r.report_path.exists()
    assert r.run_dir.parent.name == "bank-app"
    text = r.explain()
    assert "INVALID" in text and "wrong-total" in text and str(r.report_path) in text
    with pytest.raises(AssertionError, match="wrong-total"):
        r.assert_valid()


def test_user_code_done_right_is_valid(tmp_path: Path) -> None:
    LockedBank.lock = None
    r = isolde_run(workload="bank", time_limit=1, app=LockedBank, store_dir=tmp_path)
    assert isinstance(r, RunResult) and r.valid is True, r.explain()
    r.assert_valid()


class DictRegister:
    """An in-process register app whose compare_and_set reads, yields, then puts: a
    conditional write checked on the client, not by the store."""

    values: dict[int, int] = {}

    async def read(self, key: int) -> int | None:
        await asyncio.sleep(0)
        return self.values.get(key)

    async def write(self, key: int, value: int) -> None:
        await asyncio.sleep(0)
        self.values[key] = value

    async def compare_and_set(self, key: int, expected: int | None, new: int) -> None:
        if self.values.get(key) != expected:
            raise Refused("precondition-failed")
        await asyncio.sleep(0.0005)  # the round trip between the check and the put
        self.values[key] = new

    async def close(self) -> None:
        return None


class AtomicRegister(DictRegister):
    async def compare_and_set(self, key: int, expected: int | None, new: int) -> None:
        await asyncio.sleep(0)
        if self.values.get(key) != expected:  # checked and put at one instant
            raise Refused("precondition-failed")
        self.values[key] = new


def test_register_app_with_a_check_then_put_is_not_linearizable(tmp_path: Path) -> None:
    DictRegister.values = {}
    r = isolde_run(workload="register", time_limit=1, app=DictRegister, store_dir=tmp_path,
                   args=["--keys", "2"])
    assert r.valid is False and "nonlinearizable" in r.anomaly_types, r.explain()
    assert r.run_dir.parent.name == "register-app"


def test_register_app_done_right_is_linearizable(tmp_path: Path) -> None:
    AtomicRegister.values = {}
    r = isolde_run(workload="register", time_limit=1, app=AtomicRegister, store_dir=tmp_path,
                   args=["--keys", "2"])
    assert r.valid is True, r.explain()
    ops = [json.loads(line) for line in (r.run_dir / "history.jsonl").open()]
    assert {o["f"] for o in ops} == {"read", "write", "cas"}
    assert any(o.get("final") for o in ops)  # the final reads went through the app too


class SlowRegister(AtomicRegister):
    async def read(self, key: int) -> int | None:
        await asyncio.sleep(0.06)  # past the injected 50 ms client timeout
        return await super().read(key)


def test_client_faults_reach_the_app(tmp_path: Path) -> None:
    SlowRegister.values = {}
    r = isolde_run(workload="register", time_limit=3, app=SlowRegister, store_dir=tmp_path,
                   nemesis=["throttle", "client-timeout", "cancel"],
                   args=["--keys", "2", "--nemesis-interval", "0.2"])
    # (By time, not ops: the seeded schedule starts all three faults within its first 1.2 s.)
    assert r.valid is True, r.explain()  # the app is right: faults make info and fail, no anomaly
    ops = [json.loads(line) for line in (r.run_dir / "history.jsonl").open()]
    errors = {o.get("error") for o in ops if o["type"] in ("info", "fail")}
    assert {"throttled-before-the-app", "timeout"} <= errors, errors
    counts = [o["value"] for o in ops if o["process"] == "nemesis"
              and isinstance(o["value"], dict) and "cancelled" in o["value"]][-1]
    assert counts["throttled"] and counts["timeouts"] and counts["cancelled"], counts


def test_an_app_for_a_workload_without_an_app_contract_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="an app can run workload bank or register"):
        isolde_run(workload="list-append", app=DictRegister, store_dir=tmp_path)


def _pytest(args: list[str], cwd: Path, env: dict[str, str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


def test_session_overrides_reach_every_run(tmp_path: Path) -> None:
    (tmp_path / "test_x.py").write_text(
        "def test_run(isolde_run):\n"
        "    r = isolde_run(time_limit=30, seed=1)\n"
        "    print('RUN_DIR', r.run_dir)\n"
        "    r.assert_valid()\n")
    r = _pytest(["-q", "-s", "--isolde-time-limit", "0.5", "--isolde-seed", "7",
                 "--isolde-store-dir", str(tmp_path / "runs")], tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    run_dir = Path(r.stdout.split("RUN_DIR ")[1].split()[0])
    scenario = json.loads((run_dir / "scenario.json").read_text())
    assert (scenario["time_limit"], scenario["seed"]) == (0.5, 7)
    assert run_dir.is_relative_to(tmp_path / "runs")


def test_plugin_is_off_unless_used(tmp_path: Path) -> None:
    (tmp_path / "test_y.py").write_text("def test_nothing():\n    assert True\n")
    r = _pytest(["-q"], tmp_path)
    assert r.returncode == 0 and "1 passed" in r.stdout
    assert not list(tmp_path.glob("**/results.json"))


@pytest.fixture
def dynamodb_local_installed() -> None:
    try:
        DYNAMODB_LOCAL.require_installed()
    except EmulatorError as e:
        pytest.skip(f"DynamoDB Local not installed: {e}")


@pytest.mark.usefixtures("dynamodb_local_installed")
@pytest.mark.parametrize(("example", "found"), [("bank", "wrong-total"),
                                                ("register", "nonlinearizable")])
def test_example_finds_the_bug_and_passes_the_fix(example: str, found: str) -> None:
    where = ROOT / "examples" / example
    buggy = _pytest(["-q"], where, {"ISOLDE_EXAMPLE_APP": "buggy"})
    assert buggy.returncode == 1, buggy.stdout + buggy.stderr
    assert f"isolde: INVALID ({found}" in buggy.stdout
    assert "report: " in buggy.stdout and "results.json" in buggy.stdout
    fixed = _pytest(["-q"], where, {"ISOLDE_EXAMPLE_APP": "fixed"})
    assert fixed.returncode == 0 and "1 passed" in fixed.stdout, fixed.stdout + fixed.stderr


def test_app_runs_refuse_what_they_cannot_take(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot take fault 'partition'"):
        isolde_run(workload="bank", app=DictBank, nemesis=["partition"], store_dir=tmp_path)
    with pytest.raises(UsageError, match="DictBank cannot run workload 'register': a register "
                       "app has read, write, compare_and_set, close"):
        isolde_run(workload="register", app=DictBank, store_dir=tmp_path)
    assert not list(tmp_path.iterdir())  # refused before anything ran
