"""Rendering results: terminal summaries (and results.json via the harness)."""

from ._terminal import render_summary, verdict_text

__all__ = ["render_summary", "verdict_text"]
