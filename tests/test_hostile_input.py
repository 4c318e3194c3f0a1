"""Issue 11 (check side): histories read once from pipes, bounded reads, one-line errors naming
the file, each path its own verdict, a closed stdout, and the sanity warnings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from isolde import cli

from .conftest import ROOT, run_cli


def op(i: int, t: str, p: int, f: str, v: object, **kw: object) -> str:
    return json.dumps({"index": i, "time": i * 1000, "type": t, "process": p, "f": f,
                       "value": v, **kw}) + "\n"


def early_anomaly_history() -> str:
    """A history > 4 KB whose only anomaly (a read of a value never written) is in its first
    4 KB: losing those bytes turns INVALID into VALID."""
    lines = [op(0, "invoke", 0, "write", 1), op(1, "ok", 0, "write", 1),
             op(2, "invoke", 1, "read", None), op(3, "ok", 1, "read", 99)]
    i = 4
    while sum(map(len, lines)) < 20_000:
        lines += [op(i, "invoke", 0, "read", None, pad="x" * 40),
                  op(i + 1, "ok", 0, "read", 1, pad="x" * 40)]
        i += 2
    return "".join(lines)


def isolde_cmd() -> str:
    return f"{sys.executable} -m isolde"


def shell(cmd: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout)


def test_piped_input_same_verdict_as_file(tmp_path: Path) -> None:
    h = tmp_path / "h.jsonl"
    h.write_text(early_anomaly_history())
    ways = {
        "file": f"{isolde_cmd()} check {h}",
        "dash": f"cat {h} | {isolde_cmd()} check -",
        "dev-stdin": f"cat {h} | {isolde_cmd()} check /dev/stdin",
        "procsub": f"{isolde_cmd()} check <(cat {h})",
        "redirect": f"{isolde_cmd()} check - < {h}",
    }
    for name, cmd in ways.items():
        r = shell(cmd + " --json")
        assert r.returncode == 1, (name, r.stderr)
        assert json.loads(r.stdout)["valid"] is False, name


def test_piped_edn_and_ordinary_history(tmp_path: Path) -> None:
    h = tmp_path / "h.edn"
    h.write_text('{:type :invoke, :f :write, :value 1, :process 0}\n'
                 '{:type :ok, :f :write, :value 1, :process 0}\n')
    for cmd in (f"{isolde_cmd()} check <(cat {h})", f"cat {h} | {isolde_cmd()} check -"):
        r = shell(cmd)
        assert r.returncode == 0, (cmd, r.stderr)


def test_stdin_only_once(tmp_path: Path) -> None:
    r = run_cli("check", "-", "-")
    assert r.returncode == 254 and "only once" in r.stderr


def test_fifo_is_read_like_a_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "h.fifo"
    os.mkfifo(fifo)
    text = early_anomaly_history()

    def writer() -> None:
        with open(fifo, "w") as fh:
            fh.write(text)

    th = threading.Thread(target=writer)
    th.start()
    t0 = time.monotonic()
    r = run_cli("check", "--json", str(fifo), timeout=30)
    th.join()
    assert r.returncode == 1, r.stderr
    assert time.monotonic() - t0 < 20


@pytest.mark.parametrize("fmt", ["jsonl", "edn"])
@pytest.mark.parametrize("dev", ["/dev/zero", "/dev/urandom"])
def test_endless_devices_end_quickly(fmt: str, dev: str) -> None:
    t0 = time.monotonic()
    r = run_cli("check", "--format", fmt, dev, timeout=30)
    assert r.returncode == 254, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and f"{dev}:1" in r.stderr
    assert time.monotonic() - t0 < 15


def test_max_line_length(tmp_path: Path) -> None:
    h = tmp_path / "h.jsonl"
    h.write_text(op(0, "invoke", 0, "write", 1) + op(1, "ok", 0, "write", "x" * 5000))
    r = run_cli("check", "--max-line-length", "2K", str(h))
    assert r.returncode == 254 and f"{h}:2" in r.stderr and "longer than" in r.stderr
    assert run_cli("check", "--max-line-length", "8K", str(h)).returncode == 0


def test_cr_only_line_endings(tmp_path: Path) -> None:
    h = tmp_path / "h.jsonl"
    # the first line is longer than the first peek: the line end is looked for further on
    h.write_bytes((op(0, "invoke", 0, "write", 1, pad="p" * 6000) + op(1, "ok", 0, "write", 1)
                   + op(2, "invoke", 1, "read", None) + op(3, "ok", 1, "read", 7))
                  .replace("\n", "\r").encode())
    r = run_cli("check", "--json", str(h))
    assert r.returncode == 1, r.stderr
    assert "torn" not in r.stderr and "incomplete" not in r.stderr
    assert json.loads(r.stdout)["checkers"]["stats"]["ops"] == 2


def test_complete_deep_last_line_is_not_torn(tmp_path: Path) -> None:
    deep: object = 1
    for _ in range(60):
        deep = [deep]
    h = tmp_path / "h.jsonl"
    head = op(0, "invoke", 0, "write", 1) + op(1, "ok", 0, "write", 1)
    h.write_text(head + op(2, "invoke", 0, "write", deep).rstrip("\n"))
    r = run_cli("check", "--json", "--checker", "stats", str(h))
    assert r.returncode == 0 and "incomplete" not in r.stderr, r.stderr
    # too deep to judge is an error naming the line, not a torn line dropped in silence
    h.write_text(head + _nested(1100, edn=False).rstrip("\n"))
    r = run_cli("check", str(h))
    assert r.returncode == 254 and f"{h}:3" in r.stderr and "incomplete" not in r.stderr
    e = tmp_path / "h.edn"
    e.write_text('{:type :invoke, :f :write, :value 1, :process 0}\n'
                 + _nested(150, edn=True).rstrip("\n"))
    r = run_cli("check", str(e))
    assert r.returncode == 254 and f"{e}:2" in r.stderr and "incomplete" not in r.stderr
    # and a truly torn line is still dropped with a warning
    h.write_text(head + '{"index": 2, "ty')
    r = run_cli("check", str(h))
    assert r.returncode == 0 and "incomplete" in r.stderr


def _nested(depth: int, edn: bool) -> str:
    v = "[" * depth + "]" * depth
    if edn:
        return f"{{:type :invoke, :f :write, :process 0, :value {v}}}\n"
    return f'{{"type":"invoke","f":"write","process":0,"value":{v}}}\n'


BAD_HISTORIES = {
    "time-beyond-int64": ("h.jsonl", '{"time":100000000000000000000000,"type":"invoke",'
                          '"process":0,"f":"read"}\n', "time"),
    "nested-jsonl": ("h.jsonl", _nested(600, edn=False), "nested"),
    "nested-edn": ("h.edn", _nested(600, edn=True), "nested"),
    "list-in-append-read": (
        "h.jsonl", op(0, "invoke", 0, "txn", [["r", 1, None]])
        + op(1, "ok", 0, "txn", [["r", 1, [[1]]]]), "elements must be scalars"),
    "lone-surrogate-edn": ("h.edn", '{:type :invoke, :f :write, :value "\\ud800", '
                           ':process 0}\n', "surrogate"),
    "bank-read-list": ("h.jsonl", op(0, "invoke", 0, "transfer", {"from": "a", "to": "b",
                                                                   "amount": 1})
                       + op(1, "ok", 0, "transfer", None) + op(2, "invoke", 0, "read", None)
                       + op(3, "ok", 0, "read", [1, 2, 3]), "must be a map"),
    "bank-init-strings": ("h.jsonl", op(0, "invoke", 0, "init", {"a": "x"})
                          + op(1, "ok", 0, "init", {"a": "x"}) + op(2, "invoke", 0, "transfer", {
                              "from": "a", "to": "b", "amount": 1})
                          + op(3, "ok", 0, "transfer", None), "must be a number"),
    "etcd-bignum-read": ("h.log", "INFO  jepsen.util - 0\t:invoke\t:write\t1\n"
                         "INFO  jepsen.util - 0\t:ok\t:write\t1\n"
                         "INFO  jepsen.util - 1\t:invoke\t:read\tnil\n"
                         "INFO  jepsen.util - 1\t:ok\t:read\t99999999999999999999999\n",
                         "64-bit"),
    "cas-not-pair": ("h.jsonl", op(0, "invoke", 0, "cas", 3) + op(1, "ok", 0, "cas", 3), "cas"),
}


@pytest.mark.parametrize("name", sorted(BAD_HISTORIES))
def test_bad_history_names_the_file(tmp_path: Path, name: str) -> None:
    fname, content, expect = BAD_HISTORIES[name]
    p = tmp_path / fname
    p.write_text(content)
    r = run_cli("check", *(["--checker", "bank"] if name.startswith("bank") else []), str(p))
    assert r.returncode == 254, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(p) in lines[0] and expect in lines[0], lines


def test_mixed_key_edn_map_is_a_value(tmp_path: Path) -> None:
    p = tmp_path / "h.edn"
    p.write_text('{:type :invoke, :f :write, :value {1 3, nil 4}, :process 0}\n'
                 '{:type :ok, :f :write, :value {1 3, nil 4}, :process 0}\n')
    r = run_cli("check", str(p))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("path", ["/proc/self/mem", "/tmp/" + "n" * 300])
def test_unreadable_paths(path: str) -> None:
    r = run_cli("check", path)
    assert r.returncode == 254 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert path[:30] in r.stderr


@pytest.mark.parametrize("flag", ["--out", "--junit"])
@pytest.mark.parametrize("where", ["dir", "proc"])
def test_unwritable_outputs_refused_up_front(tmp_path: Path, flag: str, where: str) -> None:
    h = tmp_path / "h.jsonl"
    h.write_text(op(0, "invoke", 0, "write", 1) + op(1, "ok", 0, "write", 1))
    target = str(tmp_path) if where == "dir" else "/proc/self/nope/out.json"
    r = run_cli("check", flag, target, str(h))
    assert r.returncode == 254 and flag in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "VALID" not in r.stdout  # refused before checking anything


def test_unwritable_details_dir_refused_up_front(tmp_path: Path) -> None:
    """Detail files of a history read from stdin go to the working directory: here /proc,
    where nothing can be written, so --details is refused before the history is read."""
    history = op(0, "invoke", 0, "write", 1) + op(1, "ok", 0, "write", 1)
    r = subprocess.run([sys.executable, "-m", "isolde", "check", "--details", "--checker",
                        "staleness", "-"], input=history, capture_output=True, text=True,
                       cwd="/proc/self", timeout=60)
    assert r.returncode == 254 and "--details" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""
    r = subprocess.run([sys.executable, "-m", "isolde", "check", "--details", "--checker",
                        "staleness", "-"], input=history, capture_output=True, text=True,
                       cwd=tmp_path, timeout=60)
    assert r.returncode == 0 and (tmp_path / "staleness.jsonl").exists(), r.stderr


def test_each_path_gets_its_own_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An internal error on one path is reported in one line naming it; later paths are still
    checked and the files still written."""
    good = tmp_path / "good.jsonl"
    good.write_text(op(0, "invoke", 0, "write", 1) + op(1, "ok", 0, "write", 1))
    crash = tmp_path / "crash.jsonl"
    crash.write_text(good.read_text() + op(2, "invoke", 0, "write", 2)
                     + op(3, "ok", 0, "write", 2))  # told apart by its length
    real = cli.run_checkers

    def flaky(history, names, config):  # type: ignore[no-untyped-def]
        if len(history) == 4:
            raise RuntimeError("boom")
        return real(history, names, config)

    monkeypatch.setattr(cli, "run_checkers", flaky)
    out = tmp_path / "o.json"
    code = cli.main(["check", "--json", "--out", str(out), str(crash), str(good)])
    captured = capsys.readouterr()
    assert code == 255
    assert len(captured.err.strip().splitlines()) == 1 and str(crash) in captured.err
    records = [json.loads(x) for x in captured.out.splitlines()]
    assert [r["valid"] for r in records] == [None, True]
    assert [r["valid"] for r in json.loads(out.read_text())] == [None, True]


def _closed_stdout(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run isolde with a stdout pipe whose reader is already gone."""
    p = subprocess.Popen([sys.executable, "-m", "isolde", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=cwd)
    assert p.stdout is not None
    p.stdout.close()
    _, err = p.communicate(timeout=120)
    return subprocess.CompletedProcess(args, p.returncode, "", err)


def test_closed_stdout_check_keeps_verdict_and_files(tmp_path: Path) -> None:
    a = tmp_path / "a.jsonl"
    a.write_text(early_anomaly_history())
    b = tmp_path / "b.jsonl"
    b.write_text(op(0, "invoke", 0, "write", 1) + op(1, "ok", 0, "write", 1))
    junit, out = tmp_path / "j.xml", tmp_path / "o.json"
    for args, code in ((["--json", str(b)], 0), ([str(b), str(b)], 0), ([str(b), str(a)], 1)):
        junit.unlink(missing_ok=True)
        r = _closed_stdout(["check", "--junit", str(junit), "--out", str(out), *args], tmp_path)
        assert r.returncode == code, (args, r.stderr)
        assert r.stderr == ""
        assert junit.exists()
        assert out.exists()
    assert [x["valid"] for x in json.loads(out.read_text())] == [True, False]


def test_closed_stdout_run_keeps_verdict_and_files(tmp_path: Path) -> None:
    junit = tmp_path / "j.xml"
    r = _closed_stdout(["run", "--time-limit", "1", "--store-dir", str(tmp_path / "s"),
                        "--junit", str(junit)], tmp_path)
    assert r.returncode == 0, r.stderr
    assert junit.exists() and (tmp_path / "s" / "latest" / "junit.xml").exists()


def test_sanity_warnings(tmp_path: Path) -> None:
    h = tmp_path / "h.jsonl"
    rows = [
        {"index": 5, "time": -3, "type": "invoke", "process": 0, "f": "write", "value": 1},
        {"index": 5, "time": 10, "type": "ok", "process": 0, "f": "read", "value": 1},
        {"index": 4, "time": 5, "type": "invoke", "process": 1, "f": "read", "value": None},
        {"index": 7, "time": 20, "type": "ok", "process": 1, "f": "read", "value": 1},
    ]
    h.write_text("".join(json.dumps(x) + "\n" for x in rows))
    r = run_cli("check", "--checker", "stats", str(h))
    assert r.returncode == 0, r.stderr
    warnings = r.stderr.strip().splitlines()
    for expect in ("h.jsonl:1: time -3 is negative", "h.jsonl:2: index 5 is repeated",
                   "h.jsonl:2: ok completion has f 'read'", "h.jsonl:3: time goes backwards",
                   "h.jsonl:3: index 4 goes backwards"):
        assert sum(expect in w for w in warnings) == 1, (expect, warnings)
    assert len(warnings) == 5
