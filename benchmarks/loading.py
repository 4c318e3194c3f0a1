"""Benchmark: reading a JSONL (or EDN) history with ``isolde.load_history``.

``generate`` writes a register history shaped like the harness's (``[key, value]`` values over
50 keys, 10 processes, a read mode on reads, 1% fail and 1% info completions), or ``--edn`` the
same ops as Jepsen EDN. ``run`` loads a file once per code tree (``--tree``: a checkout put
first on ``sys.path``), each in a fresh process, alternating the trees round by round, and
prints events per second (wall and CPU) and the resident memory the loaded history holds per
event (RSS after the load minus before it). Asserts nothing about time.

    python benchmarks/loading.py generate --events 1000000 --out /tmp/reg-1m.jsonl
    python benchmarks/loading.py run /tmp/reg-1m.jsonl --tree . --tree ../base --rounds 3
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from _sidebyside import add_run_parser, alternating  # a sibling script, not a package

KEYS = 50
PROCESSES = 10


def _edn(d: dict[str, object]) -> bytes:
    """One op as an EDN map (the few value shapes this generator makes)."""
    def val(v: object) -> str:
        if v is None:
            return "nil"
        if isinstance(v, list):
            return "[" + " ".join(val(x) for x in v) + "]"
        if isinstance(v, str):
            return ":" + v
        return str(v)
    return ("{" + " ".join(f":{k} {val(v)}" for k, v in d.items()) + "}").encode()


def generate(events: int, out: Path, edn: bool, seed: int = 1) -> None:
    rng = random.Random(seed)
    state = [0] * KEYS
    open_: dict[int, dict[str, object]] = {}
    with open(out, "wb") as fh:
        buf: list[bytes] = []
        for i in range(events):
            p = rng.randrange(PROCESSES)
            d: dict[str, object] = {"index": i, "time": i * 1000}
            inv = open_.pop(p, None)
            if inv is None:
                k = rng.randrange(KEYS)
                f = "read" if rng.random() < 0.5 else "write"
                v = [k, None] if f == "read" else [k, rng.randrange(1000)]
                d.update(type="invoke", process=p, f=f, value=v)
                if f == "read":
                    d["consistency"] = "strong"
                open_[p] = d
            else:
                r = rng.random()
                kind = "fail" if r < 0.01 else "info" if r < 0.02 else "ok"
                k, v = inv["value"]  # type: ignore[misc]
                if inv["f"] == "write" and kind == "ok":
                    state[k] = v
                value = [k, state[k]] if inv["f"] == "read" and kind == "ok" else inv["value"]
                d.update(type=kind, process=p, f=inv["f"], value=value)
            buf.append(_edn(d) if edn else orjson.dumps(d))
            if len(buf) >= 10_000:
                fh.write(b"\n".join(buf) + b"\n")
                buf.clear()
        if buf:
            fh.write(b"\n".join(buf) + b"\n")


_ONE = """
import resource, sys, time
sys.path.insert(0, sys.argv[1])
from isolde._resources import rss_bytes
from isolde.histories import load_history
rss0 = rss_bytes()
t0, c0 = time.perf_counter(), time.process_time()
h = load_history(sys.argv[2])
t1, c1 = time.perf_counter(), time.process_time()
n, held = len(h), rss_bytes() - rss0
print(f'{{"events": {n}, "events_per_s": {n / (t1 - t0):.0f}, '
      f'"events_per_cpu_s": {n / (c1 - c0):.0f}, "bytes_per_event": {held / n:.0f}}}')
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--events", type=int, required=True)
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--edn", action="store_true")
    add_run_parser(sub)
    a = ap.parse_args()
    if a.cmd == "generate":
        generate(a.events, a.out, a.edn)
        return
    for rnd, tree in alternating(a.tree, a.rounds):
        out = subprocess.run([sys.executable, "-c", _ONE, str(tree.resolve()), str(a.path)],
                             capture_output=True, text=True, check=True)
        print(json.dumps({"round": rnd, "tree": str(tree), **json.loads(out.stdout)}),
              flush=True)


if __name__ == "__main__":
    main()
