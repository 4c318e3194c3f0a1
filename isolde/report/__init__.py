"""Rendering results: terminal summaries and JUnit XML (results.json is written by the harness)."""

from ._junit import junit_xml, write_junit
from ._terminal import render_summary, verdict_text

__all__ = ["junit_xml", "render_summary", "verdict_text", "write_junit"]
