"""The HTML report: one self-contained page per run (verdict, scenario, anomalies with their
timelines and cycle graphs, latency, throughput, staleness, bank and error plots)."""

from ._page import ReportInput, render_html
from ._write import MAX_BYTES, REPORT_FILE, RunDefaults, load_report_input, write_report

__all__ = ["MAX_BYTES", "REPORT_FILE", "ReportInput", "RunDefaults", "load_report_input",
           "render_html", "write_report"]
