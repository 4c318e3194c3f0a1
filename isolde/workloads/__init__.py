"""Workloads: what clients do, and which checkers judge it."""

from ._base import (
    WORKLOADS,
    Consuming,
    KeyScoped,
    TxnSized,
    Workload,
    WorkloadOptions,
    WorkloadSpec,
    make_workload,
)

__all__ = ["WORKLOADS", "Consuming", "KeyScoped", "TxnSized", "Workload", "WorkloadOptions",
           "WorkloadSpec",
           "make_workload"]
