"""A soak's trend page: a row and a point per checked segment, coloured by verdict, linking
each segment's report; self-contained."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from isolde.report.html import REPORT_FILE, TREND_FILE, render_trend, write_trend


def _segment(i: int, valid: Any, p99: float, stale: float | None) -> dict[str, Any]:
    e: dict[str, Any] = {"index": i, "dir": f"segments/{i:04d}", "status": "checked",
                         "valid": valid, "ops": 1000 + i, "ops_per_s": 100.0 + i,
                         "latency_ms": {"read": {"p50": 1.0, "p99": p99},
                                        "write": {"p50": 1.0, "p99": p99 * 2}},
                         "anomaly_counts": {"session:monotonic-reads": 3} if valid is False
                         else {}}
    if stale is not None:
        e["staleness_ms"] = {"p50": 0.0, "p99": stale, "max": stale}
    return e


SOAK = {"status": "finished", "valid": False, "segment_s": 300.0, "segments_planned": 4,
        "scenario": {"store_dir": "store"},
        "segments": [_segment(0, True, 5.0, 12.0), _segment(1, False, 7.5, 40.0),
                     _segment(2, "unknown", 6.0, None),
                     {"index": 3, "dir": "segments/0003", "status": "running"}]}


def test_trend_page_has_a_row_and_a_point_per_checked_segment() -> None:
    page = render_trend(SOAK, REPORT_FILE)
    assert 'id="verdict" class="verdict invalid"' in page
    assert "3 of 4 segments checked, finished" in page
    rows = re.findall(r'<tr class="(\w+)"><td><a href="(segments/\d{4}/report\.html)">', page)
    assert rows == [("valid", "segments/0000/report.html"),
                    ("invalid", "segments/0001/report.html"),
                    ("unknown", "segments/0002/report.html")]  # not the unchecked segment
    assert "session:monotonic-reads 3" in page and "read p99 ms" in page
    assert page.count("<svg") == 3  # throughput, latency p99, staleness p99
    assert "<script" not in page.lower()
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)


def test_trend_page_without_checked_segments_and_on_disk(tmp_path: Path) -> None:
    empty = {**SOAK, "valid": True, "segments": SOAK["segments"][3:]}  # type: ignore[index]
    page = render_trend(empty, REPORT_FILE)
    assert "<svg" not in page and "0 of 4 segments checked" in page
    out = write_trend(tmp_path, SOAK, REPORT_FILE)
    assert out == tmp_path / TREND_FILE and out.read_text() == render_trend(SOAK, REPORT_FILE)
    assert [p.name for p in tmp_path.iterdir()] == [TREND_FILE]  # no temporary file left
