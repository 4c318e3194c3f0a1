"""``--store firestore``: the real service, safely (the cloud audit, :class:`isolde.harness.
Audited`). Credentials come only from Google's standard chain (Application Default Credentials:
``GOOGLE_APPLICATION_CREDENTIALS``, gcloud's, the metadata server); isolde has no credential
flag and never writes one anywhere. Nothing is sent before the plan is accepted with ``--yes``.
"""

from __future__ import annotations

from ..._store import AuditPlan
from ._cost import Usage, estimate
from ._options import CloudOptions
from ._store import FirestoreStoreBase


class FirestoreStore(FirestoreStoreBase):
    """Firestore in ``--project`` / ``--database`` (or at ``--emulator-host``)."""

    name = "firestore"
    default_max_ops = 1000
    options: CloudOptions

    def __init__(self, options: CloudOptions | None = None, seed: int = 0) -> None:
        super().__init__(options or CloudOptions(), seed)
        self.project = self.options.project
        self.database = self.options.database

    @property
    def endpoint(self) -> tuple[str, int] | None:
        """The emulator given with --emulator-host (None: Google's service)."""
        if self.options.emulator_host is None:
            return None
        host, _, port = self.options.emulator_host.rpartition(":")
        return (host, int(port))

    def audit_plan(self, workload: str, max_ops: int) -> AuditPlan:
        o = self.options
        bound = estimate(workload, max_ops, o.txn_attempts)
        where = (f"the emulator at {o.emulator_host}" if o.emulator_host else
                 f"project {o.project or '(from your credentials)'}, database "
                 f"{o.database or '(default)'}")
        lines: tuple[str, ...] = (
            f"cloud audit: Firestore, {where}, root collection {self.collection}",
            f"  at most {max_ops} ops of {workload}: <= {bound.reads} document reads, "
            f"<= {bound.writes} writes, <= {bound.deletes} deletes, "
            f"estimated cost <= ${bound.cost():.4f}",
            "  the documents the run writes are deleted at the end" + (
                ": no, --keep keeps them" if o.keep else " -- except with --keep"),
        )
        if self.listening:
            lines += ("  a snapshot listener on the collection reads each document it delivers "
                      "(one read per change, in the bound above)",)
        return AuditPlan(lines, accepted=o.yes)

    def audit_report(self) -> str:
        u: Usage = self.usage
        return (f"cloud audit: {u.reads} document reads, {u.writes} writes, {u.deletes} "
                f"deletes; estimated cost ${u.cost():.4f}")
