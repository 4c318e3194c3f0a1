"""A checker that cannot judge a history's ops is refused in one line, exit 254: by `check`
when it reads the history, by `run` before any load (no run directory)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from isolde.checkers import op_kinds
from isolde.histories import History, Op, txn_history

from .conftest import run_cli


def _write(path: Path, ops: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps({"index": i, "time": i, **op}) + "\n"
                            for i, op in enumerate(ops)))
    return path


def _register(tmp_path: Path) -> Path:
    return _write(tmp_path / "register.jsonl", [
        {"type": "invoke", "process": 0, "f": "write", "value": 1},
        {"type": "ok", "process": 0, "f": "write", "value": 1},
        {"type": "invoke", "process": 0, "f": "read", "value": None},
        {"type": "ok", "process": 0, "f": "read", "value": 1}])


def _bank(tmp_path: Path, read: object) -> Path:
    return _write(tmp_path / "bank.jsonl", [
        {"type": "invoke", "process": 0, "f": "init", "value": {"a": 5, "b": 5}},
        {"type": "ok", "process": 0, "f": "init", "value": {"a": 5, "b": 5}},
        {"type": "invoke", "process": 0, "f": "read", "value": {"a": None, "b": None}},
        {"type": "ok", "process": 0, "f": "read", "value": read}])


@pytest.mark.parametrize("checker", ["list-append", "rw-register", "bank", "staleness"])
def test_check_refuses_a_checker_for_other_ops(tmp_path: Path, checker: str) -> None:
    h = _register(tmp_path) if checker != "staleness" else _bank(tmp_path, {"a": 5, "b": 5})
    r = run_cli("check", "--checker", checker, str(h))
    assert r.returncode == 254, r.stdout + r.stderr
    (line,) = r.stderr.splitlines()
    assert str(h) in line and f"checker {checker!r} cannot judge" in line


def test_rw_register_on_a_bank_history_is_refused(tmp_path: Path) -> None:
    r = run_cli("check", "--checker", "rw-register", str(_bank(tmp_path, {"a": 5, "b": 5})))
    assert r.returncode == 254 and "cannot judge bank ops" in r.stderr


def test_bank_read_that_is_not_an_account_map_is_bad_input(tmp_path: Path) -> None:
    r = run_cli("check", "--checker", "bank", str(_bank(tmp_path, [1, 2, 3])))
    assert r.returncode == 254, r.stdout + r.stderr
    (line,) = r.stderr.splitlines()
    assert "must be a map {account: balance}, got [1 2 3]" in line
    assert run_cli("check", "--checker", "bank",
                   str(_bank(tmp_path, {"a": 4, "b": 6}))).returncode == 0


def test_run_refuses_before_any_load(tmp_path: Path) -> None:
    r = run_cli("run", "--checker", "list-append", "--time-limit", "5",
                "--store-dir", str(tmp_path / "store"))
    assert r.returncode == 254, r.stdout + r.stderr
    (line,) = r.stderr.splitlines()
    assert "workload 'register': checker 'list-append' cannot judge register ops" in line
    assert not (tmp_path / "store").exists()


def test_kinds() -> None:
    ops = [Op(0, 0, "invoke", 0, "acquire", None), Op(1, 1, "ok", 0, "acquire", None)]
    assert op_kinds(History(ops)) is None  # a model's own ops: only the checker knows
    assert op_kinds(txn_history(["ax1ry12"])) == {"list-append"}
    assert op_kinds(txn_history(["ry12"])) == {"list-append", "rw-register"}
