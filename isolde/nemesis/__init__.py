"""Faults on a schedule, recorded in the history: process faults on managed emulators, the fault
proxy, client-path faults, embedded-store faults and nftables partitions."""

from ._base import FAULT_NAMES, Fault, NemesisOptions, Unsupported
from ._schedule import Nemesis, Resource, make_nemesis, supported_faults
from ._windows import FaultWindow, WindowIndex, fault_summary, fault_windows

__all__ = [
    "FAULT_NAMES",
    "Fault",
    "FaultWindow",
    "Nemesis",
    "NemesisOptions",
    "Resource",
    "Unsupported",
    "WindowIndex",
    "fault_summary",
    "fault_windows",
    "make_nemesis",
    "supported_faults",
]
