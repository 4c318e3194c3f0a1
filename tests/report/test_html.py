"""The HTML report from histories whose anomalies are known: what a person must find on the page,
and that the page loads nothing from anywhere."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from isolde.checkers import CheckConfig, compose, run_checkers
from isolde.cli import parse_args, run_flags, run_scenario_from_args
from isolde.histories import History, Op, txn_history
from isolde.report import check_results
from isolde.report.html import MAX_BYTES, ReportInput, render_html, write_report
from isolde.report.html._command import reproduce_command
from isolde.report.html._write import CAPS
from tests.checkers._hist import Builder


def _stale_register() -> History:
    """Process 1 reads nil after process 0's write of 1 completed: not linearizable. A fault
    window (nemesis start/stop) covers the read."""
    b = Builder()
    b.w(0, "k", 1, 0, 2)
    b.r(1, "k", None, 3, 4)
    b.w(2, "k", 2, 5, 6, type="info")
    h = b.build()
    nem = [Op(0, 2_500_000, "invoke", "nemesis", "start-partition", None),
           Op(0, 2_600_000, "ok", "nemesis", "start-partition", {"isolated": ["replica-1"]}),
           Op(0, 4_500_000, "invoke", "nemesis", "stop-partition", None),
           Op(0, 4_600_000, "ok", "nemesis", "stop-partition", None)]
    ops = sorted([*h, *nem], key=lambda o: o.time)
    return History(o.with_(index=i) for i, o in enumerate(ops))


def _page(history: History, checkers: list[str], **kw: Any) -> str:
    results = check_results(history, run_checkers(history, checkers, CheckConfig()))
    return render_html(ReportInput(results=results, history=history, **kw))


def _no_external_loads(page: str) -> None:
    assert "<script" not in page.lower()
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)
    assert "@import" not in page and "url(http" not in page


def test_nonlinearizable_page_has_verdict_explanation_timeline_and_fault_windows() -> None:
    page = _page(_stale_register(), ["linearizable", "stats"])
    assert '<p id="verdict" class="verdict invalid">INVALID' in page
    assert "exit code 1" in page
    assert 'data-type="nonlinearizable"' in page
    assert "cannot be linearized" in page  # the checker's explanation, verbatim
    assert 'id="timeline-linearizable-0"' in page
    assert "read → nil" in page and "write 1" in page  # values on the bars, key unwrapped
    assert "fault: partition" in page  # shaded and in the legend
    assert "during partition #0" in page  # the read fell inside the fault window
    for ident in ("latency-plot", "throughput-plot"):
        assert f'id="{ident}"' in page
    assert '<section id="faults">' in page
    _no_external_loads(page)


def test_g2_item_cycle_graph_has_labelled_edges() -> None:
    h = txn_history(["rxay1", "ryax1"], concurrent=True)
    page = _page(h, ["list-append"])
    assert 'data-type="G2-item"' in page
    cycle = page[page.index('id="cycle-list-append-0"'):]
    cycle = cycle[: cycle.index("</figure>")]
    assert 'rw key "x"' in cycle and 'rw key "y"' in cycle
    assert "T1" in cycle and "T2" in cycle
    _no_external_loads(page)


def test_valid_run_has_no_anomaly_list_and_says_valid() -> None:
    b = Builder()
    b.w(0, "k", 1, 0, 2)
    b.r(1, "k", 1, 3, 4)
    page = _page(b.build(), ["linearizable", "stats"])
    assert 'class="verdict valid">VALID' in page and "exit code 0" in page
    assert 'class="anomaly"' not in page
    assert '<section id="faults">' not in page  # no nemesis, nothing to shade


def test_results_alone_still_give_verdict_and_anomalies() -> None:
    """A history that cannot be read back still gets a page from its results."""
    results = {"valid": "unknown", "anomaly_types": [],
               "checkers": {"linearizable": {"valid": "unknown", "anomalies": []}}}
    page = render_html(ReportInput(results=results))
    assert "UNKNOWN" in page and "exit code 2" in page
    assert "latency-plot" not in page


def test_staleness_bank_and_error_sections() -> None:
    results = {
        "valid": False, "anomaly_types": ["wrong-total"],
        "checkers": {
            "staleness": {"valid": True, "reads": 10, "stale_fraction": 0.3,
                          "time_staleness_ms": {"p50": 0, "p99": 7, "max": 9},
                          "stale_ms_quantiles": [1.0, 2.0, 9.0],
                          "t_visibility": [{"t_ms": 0, "p": 0.7}, {"t_ms": 10, "p": 1.0}],
                          "sla": [{"metric": "p99", "limit": 5.0}]},
            "bank": {"valid": False, "total": 100, "totals": [[0.1, 100], [0.2, 103]],
                     "anomalies": [{"type": "wrong-total", "ops": [], "explanation": "103"}]},
        },
        "stats": {"ops": 10, "by_f": {"read": {"ok": 9, "fail": 1}},
                  "errors": {"timeout": 1}, "latency_ms": {"read": {"p50": 1.0}}},
    }
    page = render_html(ReportInput(results=results))
    for ident in ("staleness-cdf", "t-visibility", "bank-plot"):
        assert f'id="{ident}"' in page
    assert "SLA 5 ms" in page
    assert '<table class="errors">' in page and "timeout" in page


def _write_skews(n: int) -> History:
    """``n`` (at most 13) write-skew pairs on their own keys: n G2-item anomalies."""
    keys = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    txns = []
    for x, y in zip(keys[0: 2 * n: 2], keys[1: 2 * n: 2], strict=True):
        txns += [f"r{x}a{y}1", f"r{y}a{x}1"]
    return txn_history(txns, concurrent=True)


def test_many_anomalies_are_capped_and_the_page_says_so() -> None:
    h = _write_skews(8)
    page = _page(h, ["list-append"])
    assert page.count('id="cycle-list-append-') == 3  # figures per type are capped
    assert "What this page leaves out" in page


def test_an_oversized_page_falls_back_to_fewer_figures(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    h = _write_skews(5)
    results = compose(run_checkers(h, ["list-append"], CheckConfig()))
    inp = ReportInput(results=results, history=h)
    full = len(render_html(inp, CAPS[0]).encode())
    monkeypatch.setattr("isolde.report.html._write.MAX_BYTES", full - 1)
    out = write_report(tmp_path / "report.html", inp)
    page = out.read_text()
    assert len(page.encode()) < full
    assert "for the first 1 anomalies of each type only" in page
    assert MAX_BYTES == 5_000_000


def test_reproducing_command_round_trips_through_the_parser() -> None:
    from isolde.cli import cmd_run  # noqa: F401 - the command the report reproduces

    argv = ["run", "--workload", "list-append", "--isolation", "snapshot-isolation",
            "--nemesis", "partition,latency", "--seed", "7", "--time-limit", "2.5",
            "--consistency-models", "snapshot-isolation", "--check-time-limit", "none"]
    _, a = parse_args(argv)
    # scenario.json as the run writes it: sizes the command left out are filled in there.
    scenario = json.loads(json.dumps(run_scenario_from_args(a).to_json()))
    command = reproduce_command(scenario, run_flags(a.store, a.workload))
    assert command == ("isolde run --workload list-append --nemesis partition,latency "
                       "--time-limit 2.5 --seed 7 --check-time-limit none "
                       "--consistency-models snapshot-isolation --isolation snapshot-isolation")
    _, again = parse_args(command.split()[1:])
    assert vars(again) == vars(a)


def test_reproducing_command_names_a_size_only_when_it_was_given() -> None:
    """A size the store suggested (filled into scenario.json) is the default again when the
    command is run; one given on the command line is named."""
    for argv, shown in ((["run", "--workload", "bank"], None),
                        (["run", "--workload", "bank", "--concurrency", "3"], "3")):
        _, a = parse_args(argv)
        scenario = json.loads(json.dumps(run_scenario_from_args(a).to_json()))
        assert scenario["concurrency"] == int(shown or 10)
        command = reproduce_command(scenario, run_flags(a.store, a.workload))
        assert ("--concurrency" in command) == (shown is not None), command


def test_reproducing_command_never_shows_url_credentials() -> None:
    scenario = {"store": "dynamodb", "store_options": {
        "endpoint_url": "http://key:secret@127.0.0.1:8000/"}}
    command = reproduce_command(scenario, run_flags("dynamodb", "register"))
    assert "secret" not in command and "key:" not in command
    assert "--endpoint-url 'http://***@127.0.0.1:8000/'" in command
