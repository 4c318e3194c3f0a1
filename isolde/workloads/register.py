"""The register workload: read / write / cas on independent keys, written values unique per key.

Ops use Jepsen's independent tuples: read invoke ``[k, None]`` -> ok ``[k, v]``, write
``[k, v]``, cas ``[k, [old, new]]``. Each read records its consistency mode in the op's
``consistency`` field.
"""

from __future__ import annotations

from typing import Any

from ..harness._generators import Context, FnGen, Generator, Independent, OpSpec
from ..harness._store import MIXED, READ_MODES, check_read_consistency
from ._base import WorkloadOptions, WorkloadSpec


class RegisterWorkload:
    name = "register"
    op_kind = "register"
    needs = frozenset({"register", "cas"})

    def __init__(self, options: WorkloadOptions) -> None:
        self.options = options
        rc = check_read_consistency(options.read_consistency)
        # Weak reads are judged by the promise of their mode; the old judgement of the whole
        # history is one --checker away.
        self.checkers: tuple[str, ...] = (
            ("linearizable" if rc == "strong" else "read-promises"), "stats")
        self.independent: Independent | None = None

    def _read_mode(self, ctx: Context) -> str:
        rc = self.options.read_consistency
        return ctx.rng.choice(READ_MODES) if rc == MIXED else rc

    def _key_gen(self, key: int) -> Generator:
        written = [0]  # values written to this key are 1, 2, 3... (unique per key)

        def op(ctx: Context) -> OpSpec:
            r = ctx.rng.random()
            if r < 0.5:
                return OpSpec("read", None, {"consistency": self._read_mode(ctx)})
            last = written[0]
            written[0] += 1
            if r < 0.75:
                return OpSpec("write", written[0])
            # Aim the compare at a recent value so a fair share of CAS ops succeed.
            old = max(0, last - ctx.rng.randint(0, 2)) or None
            return OpSpec("cas", [old, written[0]])

        return FnGen(op)

    def setup_generator(self) -> Generator | None:
        return None

    def generator(self) -> Generator:
        self.independent = Independent(self._key_gen, self.options.keys, self.options.ops_per_key,
                                       self.options.first_key)
        return self.independent

    def final_generator(self) -> Generator | None:
        return None

    def checker_options(self) -> dict[str, Any]:
        return {"model": "multi-register"}


SPEC = WorkloadSpec("register", "read / write / compare-and-set on independent keys",
                    RegisterWorkload, needs=RegisterWorkload.needs)
