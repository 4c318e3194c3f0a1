"""Each kind of bad input gets one line naming what and where, and exit code 254."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import run_cli

GOOD = '{"index":0,"time":0,"type":"invoke","process":0,"f":"read","value":[1,null]}\n'


def check_bad(path: Path, *expect: str) -> None:
    r = run_cli("check", str(path))
    assert r.returncode == 254, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    for e in expect:
        assert e in lines[0], lines[0]


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        (b"", ["empty history"]),
        (b"\x00\x01\x02\xff\xfe garbage \x00" * 20, ["binary", ":1"]),
        (GOOD.encode() + b'{"index":1,"ty\n' + GOOD.replace("invoke", "ok").encode(),
         ["h.jsonl:2", "JSON"]),
        (b'{"index":0,"time":"soon","type":"invoke","process":0,"f":"read"}\n',
         ["h.jsonl:1", "time"]),
        (b'{"index":0,"time":0,"type":"invoke","process":[1],"f":"read"}\n',
         ["h.jsonl:1", "process"]),
        (b'{"index":0,"time":0,"type":"maybe","process":0,"f":"read"}\n',
         ["h.jsonl:1", "unknown op type"]),
        (b'{"index":0,"time":0,"type":"ok","process":0,"f":"read","value":1}\n',
         ["without an invocation"]),
    ],
    ids=["empty", "binary", "truncated-middle", "wrong-time", "wrong-process", "unknown-type",
         "orphan-completion"],
)
def test_bad_history(tmp_path: Path, content: bytes, expect: list[str]) -> None:
    p = tmp_path / "h.jsonl"
    p.write_bytes(content)
    check_bad(p, *expect)


def test_missing_file(tmp_path: Path) -> None:
    check_bad(tmp_path / "nope.jsonl", "no such file")


def test_unknown_checker(tmp_path: Path) -> None:
    p = tmp_path / "h.jsonl"
    p.write_text(GOOD)
    r = run_cli("check", str(p), "--checker", "nonsense")
    assert r.returncode == 254 and "unknown checker 'nonsense'" in r.stderr


def test_unknown_store_and_workload(tmp_path: Path) -> None:
    r = run_cli("run", "--store", "nowhere", "--store-dir", str(tmp_path))
    assert r.returncode == 254 and "unknown store 'nowhere'" in r.stderr
    r = run_cli("run", "--workload", "nothing", "--store-dir", str(tmp_path))
    assert r.returncode == 254 and "unknown workload 'nothing'" in r.stderr


def test_bad_flag_value() -> None:
    r = run_cli("run", "--concurrency", "zero")
    assert r.returncode == 254 and len(r.stderr.strip().splitlines()) == 1


def test_worst_exit_code_over_paths(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(GOOD + GOOD.replace('"invoke"', '"ok"').replace("null", "3"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("")
    r = run_cli("check", "--json", str(good), str(bad))
    assert r.returncode == 254
    out = r.stdout.strip().splitlines()
    assert len(out) == 2


def test_check_time_limit_parsing() -> None:
    from isolde.cli import RUN_CHECK_TIME_LIMIT, build_parser

    p = build_parser()
    assert p.parse_args(["run"]).check_time_limit == RUN_CHECK_TIME_LIMIT
    assert p.parse_args(["run", "--check-time-limit", "none"]).check_time_limit is None
    assert p.parse_args(["check", "x"]).check_time_limit is None
    assert p.parse_args(["check", "x", "--check-time-limit", "2.5"]).check_time_limit == 2.5
    r = run_cli("check", "x.jsonl", "--check-time-limit", "soon")
    assert r.returncode == 254 and len(r.stderr.strip().splitlines()) == 1
