"""nftables partitions between local processes: drop loopback TCP traffic to and from ports.

Each partition is a table of its own, ``inet isolde-<pid>-<n>``, whose input chain drops packets
on ``lo`` whose source or destination port is a target: both directions of every connection to
the port stall (TCP retransmits; after the heal they flow again, so a request the client gave up
on may still arrive). Healing deletes the table; tables still present at exit are deleted too.
Needs root and the ``nft`` command (Debian: ``apt-get install nftables``).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import shutil
import subprocess

_counter = itertools.count(1)
_LIVE: set[str] = set()


def nft_unavailable() -> str | None:
    """Why nftables partitions cannot be used here, or None if they can."""
    nft = shutil.which("nft")
    if nft is None:
        return "the nft command is missing (apt-get install nftables)"
    if os.geteuid() != 0:
        return "nftables needs root"
    r = subprocess.run([nft, "list", "tables"], capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        return f"nft cannot list tables: {r.stderr.strip()[:120]}"
    return None


def _nft(script: str) -> None:
    r = subprocess.run(["nft", "-f", "-"], input=script, capture_output=True, text=True,
                       timeout=10)
    if r.returncode != 0:
        raise RuntimeError(f"nft failed: {r.stderr.strip()[:200]}")


class NftPartition:
    """Drop loopback TCP traffic to and from ``ports`` while applied."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = sorted(set(ports))
        self.table = f"isolde-{os.getpid()}-{next(_counter)}"
        self.applied = False

    def apply(self) -> None:
        if self.applied:
            return
        ports = ", ".join(str(p) for p in self.ports)
        _nft(
            f"table inet {self.table} {{\n"
            "  chain input {\n"
            "    type filter hook input priority -10; policy accept;\n"
            f'    iifname "lo" tcp dport {{ {ports} }} drop\n'
            f'    iifname "lo" tcp sport {{ {ports} }} drop\n'
            "  }\n"
            "}\n"
        )
        self.applied = True
        _LIVE.add(self.table)

    def heal(self) -> None:
        if not self.applied:
            return
        _delete(self.table)
        self.applied = False


def _delete(table: str) -> None:
    subprocess.run(["nft", "delete", "table", "inet", table], capture_output=True, timeout=10)
    _LIVE.discard(table)


def list_isolde_tables() -> list[str]:
    r = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True, timeout=10)
    return [line.split()[-1] for line in r.stdout.splitlines() if " isolde-" in line]


@atexit.register
def _cleanup() -> None:
    for table in list(_LIVE):
        with contextlib.suppress(Exception):
            _delete(table)
