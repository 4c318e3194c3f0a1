"""Transaction values read from JSONL into columns: every op's value reads back exactly as
decoded, and a block holding any value the columns cannot hold keeps its values as they are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from isolde.checkers import make_checker
from isolde.histories import TxnColumns, read_jsonl, write_jsonl

APPEND_TXN = [["r", 1, [3, 4]], ["append", 1, 5], ["r", "k", None], ["append", "k", -(2**63)]]


def _write(tmp_path: Path, values: list[Any]) -> Path:
    """A history of one ok txn per value (invoked with the same value), and a nemesis op."""
    lines = [{"type": "invoke", "process": "nemesis", "f": "start", "value": [1, 2]}]
    for v in values:
        lines += [{"type": "invoke", "process": 0, "f": "txn", "value": v},
                  {"type": "ok", "process": 0, "f": "txn", "value": v}]
    for i, d in enumerate(lines):
        d.update(index=i, time=i)
    path = tmp_path / "h.jsonl"
    path.write_bytes(b"".join(orjson.dumps(d) + b"\n" for d in lines))
    return path


def test_values_read_back_as_decoded(tmp_path: Path) -> None:
    values = [APPEND_TXN, [], [["w", 2, 7], ["r", 2, 7], ["r", 3, None]], [["r", 4, []]]]
    h = read_jsonl(_write(tmp_path, values))
    assert h.txn_columns is not None and len(h.txn_columns) == 2 * len(values)
    assert [op.value for op in h][1:] == [v for v in values for _ in (0, 1)]
    assert h[0].value == [1, 2] and h.txn_value_ids is not None and h.txn_value_ids[0] == -1
    assert h.values[1:3] == [APPEND_TXN, APPEND_TXN]
    out = tmp_path / "again.jsonl"
    write_jsonl(h, out)  # and are written out as they were read
    assert [orjson.loads(x) for x in out.read_bytes().splitlines()] == [
        orjson.loads(x) for x in (tmp_path / "h.jsonl").read_bytes().splitlines()]


@pytest.mark.parametrize("odd", [
    [["append", 1, "a"]],            # a string element
    [["r", 1, [1, "a"]]],            # ... in a read
    [["append", [1, 2], 3]],         # a list key
    [["append", True, 3]],           # a boolean key (would read back as 1)
    [["append", 1, True]],           # a boolean element
    [["r", 1, [False]]],
    [["append", 1, 2**64 - 1]],      # beyond 64 bits signed
    [["append", 1, 1.5]],
    [["frob", 1, 2]],                # not a micro-op
    [["append", 1]],
    ["append", 1, 2],                # not a list of micro-ops
    {"append": 1},
])
def test_a_block_with_an_odd_value_keeps_its_values(tmp_path: Path, odd: Any) -> None:
    values = [APPEND_TXN, odd, APPEND_TXN]
    h = read_jsonl(_write(tmp_path, values))
    assert h.txn_columns is None
    assert [op.value for op in h][1:] == [v for v in values for _ in (0, 1)]


def test_the_checker_refuses_an_odd_value_as_before(tmp_path: Path) -> None:
    h = read_jsonl(_write(tmp_path, [APPEND_TXN, [["append", 1, [2]]]]))
    with pytest.raises(Exception, match="elements must be scalars"):
        make_checker("list-append").check(h)


def test_columns_widen_to_64_bits_when_a_later_block_needs_it() -> None:
    cols = TxnColumns()
    small = [[["append", 1, 2], ["r", 1, [2]]]]
    big = [[["append", 1, 2**40]], [["r", 1, [2, 2**40]], ["r", 2**40, None]]]
    assert cols.encode(small) == 0 and cols.elems.typecode == "i"
    assert cols.encode(big) == 1 and cols.elems.typecode == "q"
    assert cols.encode(small) == 3  # a 32-bit block after a 64-bit one
    assert [cols.value(c) for c in range(4)] == [*small, *big, *small]
    assert cols.encode([[["append", 1, 2**64 - 1]]]) == -1 and len(cols) == 4
