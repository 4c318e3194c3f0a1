"""Rendering results: terminal summaries and JUnit XML (results.json is written by the harness)."""

from ._html_cli import add_report_parser, run_report
from ._junit import junit_xml, write_junit
from ._results import check_results
from ._terminal import render_summary, verdict_text, verdict_word

__all__ = ["add_report_parser", "check_results", "junit_xml", "render_summary", "run_report",
           "verdict_text", "verdict_word", "write_junit"]
