"""JUnit XML for CI pipelines: one testsuite per history, one testcase per checker.

An invalid checker is a ``<failure>`` listing its anomalies; ``unknown`` is an ``<error>`` (the
check could not decide, which a pipeline should not take for a pass); a history that could not
be read (or whose loading ran out of the check's budget) is one ``<error>`` testcase.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MAX_LISTED = 20  # anomalies spelled out per failure; the rest are counted


def junit_xml(records: Sequence[dict[str, Any]]) -> bytes:
    """``records``: dicts with ``path`` and ``checkers`` (results.json shape) or ``error``."""
    suites = ET.Element("testsuites", name="isolde")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for rec in records:
        suite = ET.SubElement(suites, "testsuite", name=str(rec["path"]))
        counts = {"tests": 0, "failures": 0, "errors": 0}
        # Unreadable, or its loading ran out of budget before any checker: one error case.
        unread = rec.get("error") or (rec.get("reason") if not rec.get("checkers") else None)
        if unread:
            case = ET.SubElement(suite, "testcase", classname="isolde", name="read-history")
            ET.SubElement(case, "error", message=str(unread))
            counts["tests"] += 1
            counts["errors"] += 1
        for name, r in rec.get("checkers", {}).items():
            case = ET.SubElement(suite, "testcase", classname=f"isolde.{name}", name=name)
            counts["tests"] += 1
            anomalies = r.get("anomalies", [])
            if r.get("valid") is False:
                counts["failures"] += 1
                types = ", ".join(r.get("anomaly_types", [])) or "invalid"
                el = ET.SubElement(case, "failure", message=f"{name}: {types}", type=types)
                lines = [f"{a['type']} ops {a.get('ops', [])}: {a.get('explanation', '')}"
                         for a in anomalies[:MAX_LISTED]]
                found = sum((r.get("anomaly_counts") or {}).values()) or len(anomalies)
                shown = min(len(anomalies), MAX_LISTED)
                if found > shown:  # the true count, beyond the sample results.json lists
                    lines.append(f"... and {found - shown} more")
                el.text = "\n".join(lines)
            elif r.get("valid") != True:  # noqa: E712 - "unknown" is a string
                counts["errors"] += 1
                why = f": {r['reason']}" if r.get("reason") else ""
                ET.SubElement(case, "error", message=f"{name}: verdict unknown{why}")
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
    for k, v in totals.items():
        suites.set(k, str(v))
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


def write_junit(path: Path, records: Sequence[dict[str, Any]]) -> None:
    path.write_bytes(junit_xml(records))
