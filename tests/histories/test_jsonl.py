"""The JSONL reader: blocks read column by column give the same history as reading each line
on its own, and every check and warning still names its line."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import orjson
import pytest

from isolde import BadInput
from isolde.histories import History, op_from_dict, read_jsonl

STANDARD = ("index", "time", "type", "process", "f", "value")


def _ops(n: int, seed: int) -> list[dict[str, object]]:
    """A valid history of ``n`` ops with the odd cases a block may hold: errors, extra
    fields, no value, nemesis ops, string processes."""
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    open_: dict[object, dict[str, object]] = {}
    procs: list[object] = [0, 1, 2, "c", 300]
    while len(out) < n:
        p = rng.choice([*procs, "nemesis"])
        d: dict[str, object] = {"index": len(out), "time": len(out) * 10}
        inv = open_.pop(p, None)
        if inv is None:
            d.update(type="invoke", process=p, f=rng.choice(["read", "write"]),
                     value=[rng.randrange(3), rng.choice([None, 1, [1, 2]])])
            open_[p] = d
        else:
            d.update(type=rng.choice(["ok", "fail", "info"]), process=p, f=inv["f"])
            if rng.random() < 0.8:
                d["value"] = inv["value"]
            if rng.random() < 0.1:
                d["error"] = rng.choice(["timeout", None, {"code": 3}])
        if rng.random() < 0.2:
            d["mode"] = "strong"
        out.append(d)
    return out


def _columns(h: History) -> tuple[object, ...]:
    return (list(h.times), bytes(h.types), h.processes, h.fs, h.values,
            [h.pair(i) for i in range(len(h))], [h.error(i) for i in range(len(h))],
            [dict(h.extra(i)) for i in range(len(h))], [h.file_index(i) for i in range(len(h))])


@pytest.mark.parametrize("seed", range(3))
def test_blocks_read_as_each_line_alone(tmp_path: Path, seed: int) -> None:
    ops = _ops(30_000, seed)  # several blocks of about a MiB
    if seed == 1:
        for d in ops:
            del d["index"]  # positions stand for indices
    if seed == 2:
        ops[20_000]["time"] = 5.0e5  # an integral float: that block line by line, same result
    path = tmp_path / "h.jsonl"
    path.write_bytes(b"".join(orjson.dumps(d) + b"\n" for d in ops))
    want = History(op_from_dict(json.loads(line), "x", i)
                   for i, line in enumerate(path.read_text().splitlines()))
    assert _columns(read_jsonl(path)) == _columns(want)


def test_warnings_still_name_the_first_odd_line(tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    ops = _ops(20_000, 4)
    ops[15_000]["time"] = 1  # time goes backwards
    comp = next(i for i in range(12_000, 20_000) if ops[i]["type"] != "invoke"
                and ops[i]["process"] != "nemesis")
    ops[comp]["f"] = "cas"  # a completion whose f is not its invocation's
    path = tmp_path / "h.jsonl"
    path.write_bytes(b"".join(orjson.dumps(d) + b"\n" for d in ops))
    with caplog.at_level(logging.WARNING, "isolde.histories"):
        read_jsonl(path)
    text = caplog.text
    assert "h.jsonl:15001: time goes backwards (1 after 149990)" in text
    assert f"h.jsonl:{comp + 1}: {ops[comp]['type']} completion has f 'cas'" in text


@pytest.mark.parametrize(("line", "message"), [
    (b'{"type":"invoke","f":"read","value":null}', "missing field 'process' (a JSONL op names"),
    (b'{"type":"invoke","process":true,"f":"read"}', "field 'process' must be an integer"),
    (b'{"type":"ok","process":0,"f":"read","time":"1"}', "field 'time' must be an integer"),
    (b'{"type":"invoke","process":0,"f":"read",', "not valid JSON"),
])
def test_a_bad_line_deep_in_a_big_file_is_named(tmp_path: Path, line: bytes,
                                                message: str) -> None:
    ops = _ops(20_000, 5)
    lines = [orjson.dumps(d) for d in ops]
    lines.insert(17_000, line)
    path = tmp_path / "h.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(BadInput) as e:
        read_jsonl(path)
    assert str(e.value).startswith(f"{path}:17001: {message}")


def test_crlf_lines_and_blank_lines(tmp_path: Path) -> None:
    ops = _ops(5_000, 6)
    path = tmp_path / "h.jsonl"
    path.write_bytes(b"".join(orjson.dumps(d) + b"\r\n" + (b"\r\n" if i == 99 else b"")
                              for i, d in enumerate(ops)))
    h = read_jsonl(path)
    assert len(h) == 5_000 and h.values[4_999] == ops[4_999].get("value")
