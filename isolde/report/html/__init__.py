"""The HTML report: one self-contained page per run (verdict, scenario, anomalies with their
timelines and cycle graphs, latency, throughput, staleness, bank and error plots), and a soak's
trend page over its segments."""

from ._command import RunFlag
from ._page import ReportInput, render_html
from ._trend import TREND_FILE, render_trend, write_trend
from ._write import MAX_BYTES, REPORT_FILE, RunFlags, load_report_input, write_report

__all__ = ["MAX_BYTES", "REPORT_FILE", "TREND_FILE", "ReportInput", "RunFlag", "RunFlags",
           "load_report_input", "render_html", "render_trend", "write_report", "write_trend"]
