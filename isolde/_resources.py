"""Memory a process holds, for the budgets that turn "out of memory" into "unknown"."""

from __future__ import annotations

import os
import sys


def rss_bytes(pid: int | None = None) -> int:
    """Resident set size now of this process (or ``pid``) from Linux /proc; for this process
    elsewhere, the peak from ``resource`` (conservative); 0 when neither is available."""
    try:
        with open(f"/proc/{pid or 'self'}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    if pid is not None:
        return 0
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, else KiB
    except (ImportError, OSError):
        return 0
