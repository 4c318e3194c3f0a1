"""Seeded fuzzing of ``isolde check`` with malformed histories (JSONL and EDN).

Every case must end with a verdict or a one-line bad-input error: exit 0, 1, 2 or 254, exactly
one stderr line (besides warnings) for 254, never 255 or a traceback. Histories are mutated from
valid register, list-append and bank histories, so most cases get past the reader and reach the
checkers. Bounded: a fixed number of cases, checked in batches (one process per batch, several
paths each: every path gets its own verdict or error line).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from .conftest import run_cli

SEED = 11
BATCHES = 12
PER_BATCH = 16

def _deep(n: int) -> Any:
    v: Any = 1
    for _ in range(n):
        v = [v]
    return v


HOSTILE_VALUES: list[Any] = [
    None, True, -1, 0, 2**63, -(2**63) - 1, 1e308, float("inf"), "", "x" * 300, "\u00e9",
    [], {}, [[1]], {"a": [1, {"b": None}]}, [1, [2, [3, [4]]]], ["r", 1, [[1]]],
    [["append", 1, [2]]], [["r", 1, None], ["append", 1, 1]], [["w", "k", {"x": 1}]],
    {"0": 5, "1": "x"}, [1, 2, 3], ["cas", 1], [None, None], _deep(150), 2**70,
]
FIELDS = ["index", "time", "type", "process", "f", "value", "error"]


def _base_ops(rng: random.Random) -> list[dict[str, Any]]:
    kind = rng.choice(["register", "list-append", "bank"])
    ops: list[dict[str, Any]] = []
    for i in range(rng.randint(1, 6)):
        p = rng.randint(0, 2)
        if kind == "register":
            f, v, out = rng.choice([("read", [1, None], [1, i]), ("write", [1, i], [1, i]),
                                    ("cas", [1, [i, i + 1]], [1, [i, i + 1]])])
        elif kind == "list-append":
            f, v, out = "txn", [["append", 1, i], ["r", 1, None]], [["append", 1, i],
                                                                  ["r", 1, [i]]]
        else:
            f, v, out = rng.choice([("read", None, {"0": 50, "1": 50}),
                                    ("transfer", {"from": 0, "to": 1, "amount": 3}, None)])
        ops.append({"index": len(ops), "time": len(ops) * 10, "type": "invoke",
                    "process": p, "f": f, "value": v})
        ops.append({"index": len(ops), "time": len(ops) * 10,
                    "type": rng.choice(["ok", "ok", "fail", "info"]), "process": p, "f": f,
                    "value": out})
    return ops


def _mutate(rng: random.Random, ops: list[dict[str, Any]]) -> None:
    for _ in range(rng.randint(1, 3)):
        o = rng.choice(ops)
        what = rng.random()
        if what < 0.5:
            o[rng.choice(FIELDS)] = rng.choice(HOSTILE_VALUES)
        elif what < 0.65:
            o.pop(rng.choice(FIELDS), None)
        elif what < 0.8:
            ops.insert(rng.randrange(len(ops) + 1), dict(rng.choice(ops)))
        else:
            o["value"] = rng.choice(HOSTILE_VALUES)


def _edn(v: Any) -> str:
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v) if v == v and abs(v) != float("inf") else "##Inf"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + " ".join(map(_edn, v)) + "]"
    return "{" + ", ".join(f":{k} {_edn(x)}" if isinstance(k, str) and k.isalpha()
                           else f"{_edn(k)} {_edn(x)}" for k, x in v.items()) + "}"


def _bytes_noise(rng: random.Random, data: bytes) -> bytes:
    """Byte-level damage: truncation, a stray byte, CRs, a lone surrogate escape, a NUL."""
    choice = rng.random()
    if choice < 0.2 and data:
        return data[: rng.randrange(len(data))]
    if choice < 0.35:
        i = rng.randrange(len(data) + 1)
        return data[:i] + bytes([rng.randrange(256)]) + data[i:]
    if choice < 0.45:
        return data.replace(b"\n", b"\r")
    if choice < 0.55:
        return data.replace(b'"x"', b'"\\ud800"', 1) + b'{"type":"invoke","f":"\\udc00"}\n'
    return data


def _edn_op(o: dict[str, Any]) -> str:
    """An op map with keyword keys; ``type`` and ``f`` as keywords when they are words."""
    def field(k: str, v: Any) -> str:
        word = k in ("type", "f") and isinstance(v, str) and v.isalpha()
        return f":{k} {':' + v if word else _edn(v)}"
    return "{" + ", ".join(field(k, v) for k, v in o.items()) + "}"


def _case(rng: random.Random, path: Path) -> None:
    ops = _base_ops(rng)
    _mutate(rng, ops)
    if path.suffix == ".edn":
        data = "".join(_edn_op(o) + "\n" for o in ops).encode("utf-8", "surrogatepass")
    else:
        data = "".join(json.dumps(o) + "\n" for o in ops).encode("utf-8", "surrogatepass")
    path.write_bytes(_bytes_noise(rng, data))


def test_fuzz_check_never_internal_error(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    failures: list[str] = []
    for batch in range(BATCHES):
        paths = []
        for i in range(PER_BATCH):
            p = tmp_path / f"b{batch}-{i}.{rng.choice(['jsonl', 'edn'])}"
            _case(rng, p)
            paths.append(p)
        r = run_cli("check", "--json", "--check-time-limit", "20", *map(str, paths), timeout=300)
        records = [json.loads(line) for line in r.stdout.splitlines()]
        errors = [ln for ln in r.stderr.splitlines() if ": WARNING: " not in ln]
        if r.returncode not in (0, 1, 2, 254) or "Traceback" in r.stderr:
            failures.append(f"batch {batch}: exit {r.returncode}: {r.stderr[-2000:]}")
        if len(records) != len(paths):
            failures.append(f"batch {batch}: {len(records)} records for {len(paths)} paths")
        bad = [rec for rec in records if "error" in rec]
        if len(errors) != len(bad):  # exactly one line per path refused
            failures.append(f"batch {batch}: {len(bad)} errors but stderr {errors}")
        for rec, line in zip(bad, errors, strict=False):
            if rec["path"] not in line or "internal error" in line:
                failures.append(f"{rec['path']}: {line}")
    assert not failures, "\n".join(failures[:10])


def test_fuzz_single_bad_path_is_one_line(tmp_path: Path) -> None:
    """The 254 contract for one path at a time: one line on stderr, naming the file."""
    rng = random.Random(SEED + 1)
    seen = 0
    for i in range(40):
        p = tmp_path / f"c{i}.{rng.choice(['jsonl', 'edn'])}"
        _case(rng, p)
        r = run_cli("check", str(p), timeout=120)
        assert r.returncode in (0, 1, 2, 254), (p.read_bytes()[:500], r.stderr)
        if r.returncode == 254:
            seen += 1
            errors = [ln for ln in r.stderr.splitlines() if ": WARNING: " not in ln]
            assert len(errors) == 1 and str(p) in errors[0], (p.read_bytes()[:500], r.stderr)
        if seen >= 8:
            break
    assert seen >= 3  # the generator does produce bad input
