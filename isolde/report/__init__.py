"""Rendering results: terminal summaries and JUnit XML (results.json is written by the harness)."""

from ._html_cli import add_report_parser, run_report
from ._junit import junit_xml, write_junit
from ._terminal import render_summary, verdict_text

__all__ = ["add_report_parser", "junit_xml", "render_summary", "run_report", "verdict_text",
           "write_junit"]
