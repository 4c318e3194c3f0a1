"""The register workload: read / write / cas on independent keys, written values unique per key.

Ops use Jepsen's independent tuples: read invoke ``[k, None]`` -> ok ``[k, v]``, write
``[k, v]``, cas ``[k, [old, new]]``. Each read records its consistency mode in the op's
``consistency`` field.

After the load (and after the nemesis healed) come final reads: every key used is read in
every mode in play plus strong, in rounds, until each key's reads of one round all succeed and
agree or ``CONVERGE_WITHIN_S`` has passed. Each final read carries ``final`` and its ``round``;
the checkers judge the last round of each key (a converging store agrees there, one that never
converges still disagrees when the time is up).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from ..harness._generators import Answer, Context, FnGen, Generator, Independent, OpSpec, Wait
from ..harness._store import MIXED, READ_MODES, check_read_consistency
from ..histories import Op
from ._base import WorkloadOptions, WorkloadSpec

CONVERGE_WITHIN_S = 10.0  # final-read rounds go on this long after the first (lag spikes: 2 s)
ROUND_PAUSE_NS = 250_000_000  # between rounds: replication gets time to catch up
POLL_NS = 5_000_000  # a worker with nothing to read waits this long for the round to end


class FinalReads:
    """Final reads of the keys ``keys()`` names once the load is over, one per mode of ``modes``
    each round, rounds repeated for the keys whose last round did not all succeed and agree, up
    to ``within_s`` seconds.

    A round holds its keys as given (the first: a ``range``) and makes each read when it is
    asked for; what came back is kept as one count and first value per key. A round built up
    front was six objects a read, and a 1M-op soak segment ends with about 25,000 final reads:
    9 MB made and dropped at every segment's end, of which the soak process's RSS kept 1-2 MB
    each time (the new segment's long-lived objects land amid the freed memory)."""

    def __init__(self, keys: Callable[[], Sequence[Hashable]], modes: tuple[str, ...],
                 within_s: float) -> None:
        self.keys, self.modes, self.within_ns = keys, modes, int(within_s * 1e9)
        self.round = -1
        self.round_keys: Sequence[Hashable] = ()
        self.issued = 0  # reads of this round handed out
        self.outstanding = 0
        self.start_at = self.deadline = 0
        # This round's answers: key -> (reads answered, the first value); keys whose reads
        # failed or disagreed are in ``bad``.
        self.answers: dict[Hashable, tuple[int, Any]] = {}
        self.bad: set[Hashable] = set()

    def _next_round(self, keys: Sequence[Hashable], at: int) -> None:
        self.round += 1
        self.start_at = at
        self.round_keys, self.issued = keys, 0
        self.answers, self.bad = {}, set()

    def _unsettled(self) -> list[Hashable]:
        n = len(self.modes)
        return [k for k in self.round_keys
                if k in self.bad or self.answers.get(k, (0, None))[0] < n]

    def next(self, ctx: Context) -> Answer:
        if self.round < 0:
            self.deadline = ctx.time + self.within_ns
            self._next_round(self.keys(), ctx.time)
        n = len(self.modes)
        if self.issued < len(self.round_keys) * n:
            if ctx.time < self.start_at:
                return Wait(self.start_at)
            # Key by key in order, each key's modes last to first (as the list of reads
            # this replaced handed them out).
            key = self.round_keys[self.issued // n]
            mode = self.modes[n - 1 - self.issued % n]
            self.issued += 1
            self.outstanding += 1
            return OpSpec("read", [key, None], {"final": True, "consistency": mode,
                                                "round": self.round})
        if self.outstanding:
            return Wait(ctx.time + POLL_NS)
        unsettled = self._unsettled()
        if not unsettled or ctx.time >= self.deadline:
            return None
        self._next_round(unsettled, ctx.time + ROUND_PAUSE_NS)
        return Wait(self.start_at)

    def completed(self, op: Op) -> None:
        self.outstanding -= 1
        if op.extra.get("round") != self.round:
            return
        key, value = op.value
        got = self.answers.get(key)
        if op.type != "ok" or (got is not None and got[1] != value):
            self.bad.add(key)
        self.answers[key] = (1, value) if got is None else (got[0] + 1, got[1])


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

    def keys_named(self) -> range:
        """Every key its ops named: its generator's, from ``first_key`` (:class:`KeyScoped`)."""
        ind = self.independent
        first = self.options.first_key
        return range(first, ind.next_key if ind is not None else first)

    def final_generator(self) -> Generator | None:
        if self.independent is None:
            return None
        rc = self.options.read_consistency
        weak = tuple(m for m in READ_MODES if m != "strong") if rc == MIXED else (rc, rc)
        # Strong is the reference a weak read must converge to; one weak mode reads twice, so
        # two replicas can disagree.
        modes = ("strong",) if rc == "strong" else ("strong", *weak)
        ind = self.independent
        return FinalReads(lambda: range(ind.first_key, ind.next_key), modes, CONVERGE_WITHIN_S)

    def checker_options(self) -> dict[str, Any]:
        return {"model": "multi-register"}


SPEC = WorkloadSpec("register", "read / write / compare-and-set on independent keys",
                    RegisterWorkload, needs=RegisterWorkload.needs)
