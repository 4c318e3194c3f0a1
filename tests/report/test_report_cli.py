"""`isolde run` ends with the report's path; `isolde report` redraws it; bad input is one line."""

from __future__ import annotations

from pathlib import Path

import orjson

from isolde.report.html import MAX_BYTES
from tests.conftest import run_cli
from tests.report.conftest import Runs


def test_run_writes_report_and_ends_with_its_path(runs: Runs) -> None:
    page = (runs.register / "report.html").read_text()
    assert runs.register_stdout.strip().splitlines()[-1] == \
        f"report: {runs.register / 'report.html'}"
    assert "INVALID" in page and 'data-type="nonlinearizable"' in page
    assert 'id="timeline-linearizable-0"' in page
    assert "fault: partition" in page
    assert "--read-consistency eventual" in page and "--seed 3" in page
    assert len(page.encode()) <= MAX_BYTES


def test_list_append_snapshot_isolation_report_has_g2_item_cycle(runs: Runs) -> None:
    page = (runs.list_append / "report.html").read_text()
    assert 'data-type="G2-item"' in page
    first = page.index('data-type="G2-item"')
    cycle = page[page.index('<figure class="cycle"', first):]
    cycle = cycle[: cycle.index("</figure>")]
    assert "rw key" in cycle


def test_report_command_redraws_a_run_directory(runs: Runs, tmp_path: Path) -> None:
    out = tmp_path / "again.html"
    p = run_cli("report", str(runs.list_append), "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == f"report: {out}"
    assert 'data-type="G2-item"' in out.read_text()


def test_report_of_a_checked_history(runs: Runs, tmp_path: Path) -> None:
    """`isolde check --out` then `isolde report HISTORY --results`: no scenario, still a page."""
    history = tmp_path / "history.jsonl"
    history.write_bytes((runs.register / "history.jsonl").read_bytes())
    results = tmp_path / "checked.json"
    assert run_cli("check", "--checker", "linearizable", "--out", str(results),
                   str(history)).returncode == 1
    out = tmp_path / "r.html"
    p = run_cli("report", str(history), "--results", str(results), "--out", str(out))
    assert p.returncode == 0, p.stderr
    page = out.read_text()
    assert "INVALID" in page and "No scenario.json" in page and "latency-plot" in page


def test_bad_input_is_one_line_and_254(runs: Runs, tmp_path: Path) -> None:
    bad = tmp_path / "results.json"
    bad.write_text("{not json")
    (tmp_path / "history.jsonl").write_bytes((runs.register / "history.jsonl").read_bytes())
    cases = [
        (["report", str(tmp_path / "nope")], "nope"),
        (["report", str(tmp_path / "history.jsonl")], "not valid JSON"),
        (["report", str(runs.running)], "no results to report"),
        (["report", str(runs.register), str(runs.list_append), "--out", "x.html"],
         "one PATH only"),
    ]
    for argv, words in cases:
        p = run_cli(*argv)
        assert p.returncode == 254, (argv, p.stderr)
        assert len(p.stderr.strip().splitlines()) == 1 and words in p.stderr, p.stderr
        assert "Traceback" not in p.stderr
    assert orjson.loads((runs.register / "results.json").read_bytes())["valid"] is False


def test_check_html_draws_the_checked_history(runs: Runs, tmp_path: Path) -> None:
    """`isolde check --html` writes the page a run writes, from the check's own results."""
    out = tmp_path / "checked.html"
    p = run_cli("check", "--html", str(out), "--json", str(runs.list_append / "history.jsonl"))
    assert p.returncode == 1, p.stderr
    assert orjson.loads(p.stdout)["valid"] is False  # stdout stays one JSON line per path
    page = out.read_text()
    assert "INVALID" in page and 'data-type="G2-item"' in page


def test_check_html_takes_one_path(runs: Runs, tmp_path: Path) -> None:
    h = str(runs.list_append / "history.jsonl")
    p = run_cli("check", "--html", str(tmp_path / "x.html"), h, h)
    assert p.returncode == 254 and p.stderr == "isolde: error: --html takes one PATH only\n"
    assert not (tmp_path / "x.html").exists()
