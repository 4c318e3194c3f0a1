from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from isolde.report import junit_xml

from ..conftest import run_cli


def test_junit_counts_failures_and_errors() -> None:
    xml = junit_xml([
        {"path": "a.jsonl", "checkers": {
            "x": {"valid": False, "anomaly_types": ["G0"],
                  "anomalies": [{"type": "G0", "ops": [1, 2], "explanation": "ww cycle"}]},
            "y": {"valid": "unknown", "anomalies": []},
            "z": {"valid": True, "anomalies": []}}},
        {"path": "b.jsonl", "error": "b.jsonl:3: not valid JSON"},
    ])
    root = ET.fromstring(xml)
    assert root.get("tests") == "4"
    assert root.get("failures") == "1"
    assert root.get("errors") == "2"
    failure = root.find("./testsuite/testcase[@name='x']/failure")
    assert failure is not None and "G0 ops [1, 2]: ww cycle" in (failure.text or "")


def test_run_and_check_write_junit(tmp_path: Path) -> None:
    r = run_cli("run", "--time-limit", "1", "--store-dir", str(tmp_path), "--junit",
                str(tmp_path / "run.xml"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "latest" / "junit.xml").exists()
    root = ET.parse(tmp_path / "run.xml").getroot()
    assert root.get("failures") == "0" and int(root.get("tests", "0")) >= 1
    r = run_cli("check", str(tmp_path / "latest" / "history.jsonl"), "--junit",
                str(tmp_path / "check.xml"))
    assert r.returncode == 0, r.stderr
    assert ET.parse(tmp_path / "check.xml").getroot().get("failures") == "0"
