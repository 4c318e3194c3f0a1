"""Jepsen's own files, read as Knossos and Elle read them: failed ops, initial values, nil reads,
the file's own :index in explanations, ops without :process, Elle's anomalies."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from isolde.histories import load_history

from ..conftest import run_cli
from .linhelp import check, hist

FIXTURES = Path(__file__).parent / "fixtures" / "jepsen"
CAS = str(FIXTURES / "cas-register-failed-cas.edn")


def test_failed_cas_without_a_reason_is_dropped_by_default() -> None:
    r = run_cli("check", CAS)
    assert r.returncode == 0, r.stdout + r.stderr


def test_failed_cas_as_evidence_cites_the_files_index_and_line() -> None:
    r = run_cli("check", "--failed-cas", "evidence", "--json", CAS)
    assert r.returncode == 1, r.stdout + r.stderr
    (a,) = json.loads(r.stdout)["checkers"]["linearizable"]["anomalies"]
    # The failed cas is :index 12 on line 9 of the file (its 3rd op); it completed at :index 13.
    assert a["explanation"].startswith("op 12 (line 9: process 1 cas [0 1], fail), "
                                       "completed at op 13 (line 10)")
    assert "ending with op 10 (line 7)" in a["explanation"]
    assert a["file"] == {"invoke": [12, 9], "complete": [13, 10]}
    assert run_cli("check", "--failed-cas", "ignore", CAS).returncode == 0


def test_failed_cas_saying_its_precondition_failed_is_evidence() -> None:
    h = hist(("invoke", 0, "write", 0), ("ok", 0, "write", 0),
             ("invoke", 1, "cas", [0, 1]), ("fail", 1, "cas", [0, 1], "precondition-failed"))
    assert check(h, failed_cas="auto").valid is False
    assert check(h, failed_cas="ignore").valid is True


def test_initial_value_and_knossos_nil_reads() -> None:
    reads_zero = hist(("invoke", 0, "read", None), ("ok", 0, "read", 0),
                      ("invoke", 0, "cas", [0, 1]), ("ok", 0, "cas", [0, 1]))
    assert check(reads_zero).valid is False  # from nil, 0 was never written
    assert check(reads_zero, initial=(0,)).valid is True
    nil_read = hist(("invoke", 0, "write", 1), ("ok", 0, "write", 1),
                    ("invoke", 1, "read", None), ("ok", 1, "read", None))
    assert check(nil_read).valid is False  # isolde: the read saw nil after 1 was written
    assert check(nil_read, nil_reads="unconstrained").valid is True  # Knossos: it says nothing
    keyed = hist(("invoke", 0, "read", ["a", None]), ("ok", 0, "read", ["a", 5]),
                 ("invoke", 0, "read", ["b", None]), ("ok", 0, "read", ["b", None]))
    assert check(keyed, "multi-register", initial=({"a": 5},)).valid is True
    assert check(keyed, "multi-register", initial=(5,)).valid is False  # b starts at 5 too
    # Forked workers get the model with its options, and each key its initial value.
    assert check(keyed, "multi-register", initial=({"a": 5},), workers=2).valid is True
    assert check(keyed, "multi-register", initial=(5,), workers=2).valid is False


def test_initial_from_the_cli_json_or_edn(tmp_path: Path) -> None:
    p = tmp_path / "h.edn"
    p.write_text('; reads 0 before any write\n'
                 '{:process 0, :type :invoke, :f :read, :value [:k nil]}\n'
                 '{:process 0, :type :ok, :f :read, :value [:k 0]}\n')
    assert run_cli("check", str(p)).returncode == 1
    for initial in ("{:k 0}", '{"k": 0}', "0"):
        r = run_cli("check", "--initial", initial, str(p))
        assert r.returncode == 0, (initial, r.stdout, r.stderr)


def test_elle_list_append_with_comments_between_ops() -> None:
    path = str(FIXTURES / "list-append-write-skew.edn")
    r = run_cli("check", "--json", "--consistency-models", "serializable", path)
    assert r.returncode == 1, r.stderr
    la = json.loads(r.stdout)["checkers"]["list-append"]
    assert la["anomaly_types"] == ["G2-item"]
    r = run_cli("check", "--json", "--consistency-models", "snapshot-isolation", path)
    assert r.returncode == 0, r.stderr  # write skew is allowed under snapshot isolation
    la = json.loads(r.stdout)["checkers"]["list-append"]
    assert la["allowed_anomalies"] == ["G2-item"] and "serializable" in la["not"]


def test_elle_history_without_process_or_f() -> None:
    path = str(FIXTURES / "list-append-no-process.edn")
    r = run_cli("check", "--json", "--consistency-models", "serializable", path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stderr.count("no :process") == 1
    (a,) = json.loads(r.stdout)["checkers"]["list-append"]["anomalies"]
    assert a["type"] == "G2-item"
    assert "T1 = op 0 (line 3), T2 = op 1 (line 4)" in a["explanation"]
    # No process and no timing: no process or real-time order, so nothing more is found.
    r = run_cli("check", "--json", path)
    assert json.loads(r.stdout)["checkers"]["list-append"]["anomaly_types"] == ["G2-item"]


def test_convert_round_trips(tmp_path: Path) -> None:
    edn, jsonl, back = tmp_path / "a.edn", tmp_path / "a.jsonl", tmp_path / "b.edn"
    edn.write_bytes((FIXTURES / "list-append-write-skew.edn").read_bytes())
    for src, dst in ((edn, jsonl), (jsonl, back)):
        r = run_cli("convert", str(src), str(dst))
        assert r.returncode == 0 and "6 ops" in r.stdout, r.stderr
    original, there, again = load_history(edn), load_history(jsonl), load_history(back)
    assert [op.to_dict() for op in original] == [op.to_dict() for op in there]
    assert [op.to_dict() for op in there] == [op.to_dict() for op in again]
    assert "[[:r :y nil] [:append :x 1]]" in back.read_text()  # keywords for Elle
    # JSONL -> EDN -> JSONL is byte for byte the same.
    again_jsonl = tmp_path / "c.jsonl"
    assert run_cli("convert", str(back), str(again_jsonl)).returncode == 0
    assert again_jsonl.read_bytes() == jsonl.read_bytes()


def test_convert_keeps_the_files_index(tmp_path: Path) -> None:
    out = tmp_path / "cas.jsonl"
    assert run_cli("convert", CAS, str(out)).returncode == 0
    assert [json.loads(x)["index"] for x in out.read_text().splitlines()] == list(range(10, 22))
    r = run_cli("check", "--failed-cas", "evidence", str(out))
    assert r.returncode == 1 and "op 12 (process 1 cas" in r.stdout


def test_convert_refuses_bad_arguments(tmp_path: Path) -> None:
    for args, msg in (((CAS, str(tmp_path / "x.txt")), "cannot tell the output format"),
                      ((str(tmp_path / "none.edn"), str(tmp_path / "y.jsonl")), "no such file"),
                      ((CAS, CAS), "output is the input"),
                      ((CAS, str(tmp_path / "no" / "dir.jsonl")), "cannot write")):
        r = run_cli("convert", *args)
        assert r.returncode == 254 and msg in r.stderr, r.stderr
        assert "Traceback" not in r.stderr


def test_other_checkers_cite_the_files_index_too(tmp_path: Path) -> None:
    p = tmp_path / "bank.edn"
    p.write_text("; a bank excerpt: indices from 40\n"
                 "{:index 40, :process 0, :type :invoke, :f :read, :value nil}\n"
                 "{:index 41, :process 0, :type :ok, :f :read, :value {:a 50 :b 40}}\n"
                 "{:index 42, :process 1, :type :invoke, :f :transfer, "
                 ":value {:from :a, :to :b, :amount 1}}\n"
                 "{:index 43, :process 1, :type :ok, :f :transfer, "
                 ":value {:from :a, :to :b, :amount 1}}\n"
                 "{:index 44, :process 0, :type :invoke, :f :read, :value nil}\n"
                 "{:index 45, :process 0, :type :ok, :f :read, :value {:a 49 :b 40}}\n")
    r = run_cli("check", "--json", "--checker", "bank", str(p))
    assert r.returncode == 1, r.stdout + r.stderr
    (a,) = json.loads(r.stdout)["checkers"]["bank"]["anomalies"]
    assert a["explanation"].startswith("op 45 (line 7) read balances summing to 89")


def test_the_result_says_how_the_history_was_read() -> None:
    r = run_cli("check", "--json", "--failed-cas", "ignore", "--initial", "{:x 0}",
                "--nil-reads", "unconstrained", "--model", "multi-register-txn",
                str(FIXTURES / "multi-register-valid.edn"))
    lin = json.loads(r.stdout)["checkers"]["linearizable"]
    assert lin["reading"] == {"failed_cas": "ignore", "nil_reads": "unconstrained",
                              "initial": {"x": 0}}


def _readme_jepsen_commands() -> list[tuple[str, int]]:
    text = (Path(__file__).parents[2] / "README.md").read_text()
    section = text[text.index("## Coming from Jepsen"):]
    out = []
    for line in section.splitlines():
        if line.startswith("isolde check") and "# " in line:
            command, comment = line.split("# ", 1)
            out.append((command, 0 if comment.startswith("valid") else 1))
    return out


@pytest.mark.parametrize(("command", "code"), _readme_jepsen_commands())
def test_readme_coming_from_jepsen_commands(command: str, code: int) -> None:
    r = run_cli(*shlex.split(command)[1:])
    assert r.returncode == code, r.stdout + r.stderr
