"""An isolde store plugin: a key-value store on one SQLite database file.

Registers (``read`` / ``write`` / ``cas`` on ``[key, value]``) and list-append transactions
(``txn`` of ``["r", k, None]`` / ``["append", k, v]`` / ``["w", k, v]``), each op in one SQLite
transaction on the event loop's thread, so every op is atomic and the store is strictly
serializable: runs against it must come out valid.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from isolde.harness import StoreContext, StoreSpec, option
from isolde.histories import Op

JOURNAL_MODES = ("wal", "delete")
SYNCHRONOUS = ("off", "normal", "full")


@dataclass
class SqliteOptions:
    """The store's flags: ``isolde run --store sqlite --path my.db --journal-mode delete``."""

    path: str | None = option(None, "database file (default: a temporary one, removed after "
                              "the run)", metavar="FILE")
    journal_mode: str = option("wal", "SQLite journal mode", choices=JOURNAL_MODES)
    synchronous: str = option("normal", "when SQLite waits for the disk (normal: not at each "
                              "commit in WAL mode)", choices=SYNCHRONOUS)


class SqliteStore:
    """The Store protocol: a name, capabilities, setup / teardown, one client per worker."""

    name = "sqlite"
    capabilities = frozenset({"register", "cas", "txn"})

    def __init__(self, options: SqliteOptions) -> None:
        self.options = options
        self.db: sqlite3.Connection | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    async def setup(self) -> None:
        path = self.options.path
        if path is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="isolde-sqlite-")
            path = str(Path(self._tmp.name) / "store.db")
        # isolation_level=None: this code says where each transaction begins and ends.
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute(f"PRAGMA journal_mode={self.options.journal_mode}")
        self.db.execute(f"PRAGMA synchronous={self.options.synchronous}")
        self.db.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)")

    async def teardown(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def open_client(self, worker: int) -> SqliteClient:
        assert self.db is not None, "set up first"
        return SqliteClient(self.db)


class SqliteClient:
    """``invoke`` returns the op's completion: ``ok``, or ``fail`` when it certainly did not
    happen (a CAS whose expected value differs, a malformed op). Nothing here can leave an op
    in doubt, so it never completes ``info``."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    async def close(self) -> None:
        return None  # the connection is the store's

    async def invoke(self, op: Op) -> Op:
        await asyncio.sleep(0)  # let other workers' ops interleave between ours
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                done = self._apply(op)
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT" if done.type == "ok" else "ROLLBACK")
            return done
        except (TypeError, ValueError) as e:  # a malformed op: nothing was written
            return op.complete("fail", op.value, error=f"bad-value: {e}")

    def _get(self, k: Any) -> Any:
        row = self.db.execute("SELECT v FROM kv WHERE k = ?", (json.dumps(k),)).fetchone()
        return None if row is None else json.loads(row[0])

    def _put(self, k: Any, v: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)",
                        (json.dumps(k), json.dumps(v)))

    def _apply(self, op: Op) -> Op:
        if op.f == "txn":
            return op.complete("ok", [self._micro(m) for m in op.value])
        k, arg = op.value  # a register op: [key, value]
        if op.f == "read":
            return op.complete("ok", [k, self._get(k)])
        if op.f == "write":
            self._put(k, arg)
            return op.complete("ok", op.value)
        if op.f == "cas":
            old, new = arg
            if self._get(k) != old:
                return op.complete("fail", op.value, error="precondition-failed")
            self._put(k, new)
            return op.complete("ok", op.value)
        return op.complete("fail", op.value, error=f"unsupported f {op.f!r}")

    def _micro(self, mop: list[Any]) -> list[Any]:
        kind, k, arg = mop
        if kind == "r":
            return ["r", k, self._get(k)]
        if kind == "append":
            self._put(k, [*(self._get(k) or []), arg])
        elif kind == "w":
            self._put(k, arg)
        else:
            raise ValueError(f"unknown micro-op {kind!r}")
        return mop


def _build(options: SqliteOptions, context: StoreContext) -> SqliteStore:
    return SqliteStore(options)


SPEC = StoreSpec(
    name="sqlite",
    summary="example plugin: a key-value store on one SQLite file (strictly serializable)",
    options=SqliteOptions,
    build=_build,
    capabilities=SqliteStore.capabilities,
    read_modes=("strong",),
    faults=(),  # no process, no network, no SDK: the nemesis has nothing to act on
)
