"""The causal workload: a profile picture, then a comment that refers to it.

Writer processes write a picture to key ``photo-N`` and then a comment about it to
``comment-N`` (two writes, one process, in that order). Reader processes read ``comment-N`` and
then ``photo-N`` for a recently written N. A reader that sees the comment but then not the
picture saw an effect without its cause: the causal checker reports it as ``monotonic-writes``
(and, causally, ``WriteCOInitRead``). Ops are register ops on Jepsen ``[key, value]`` tuples, so
the staleness checker measures the same history; each read records its consistency mode.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from ..harness._generators import Context, EachWorker, FnGen, Generator, OpSpec
from ..harness._store import MIXED, READ_MODES, check_read_consistency
from ._base import WorkloadOptions, WorkloadSpec

RECENT = 8  # readers pick among the last few pairs written


def photo_key(n: int) -> str:
    return f"photo-{n}"


def comment_key(n: int) -> str:
    return f"comment-{n}"


class CausalWorkload:
    name = "causal"
    op_kind = "register"
    needs = frozenset({"register"})

    def __init__(self, options: WorkloadOptions) -> None:
        self.options = options
        rc = check_read_consistency(options.read_consistency)
        # Weak reads are judged by the promise of their mode; the old judgement of the whole
        # history is one --checker away.
        self.checkers: tuple[str, ...] = (
            ("causal" if rc == "strong" else "read-promises"), "staleness", "stats")
        self.pairs = options.first_key  # pairs started (picture written or being written)
        self.recent: deque[int] = deque(maxlen=RECENT)  # pairs whose comment was issued
        # A third of the workers write (at least one); with one worker it does both.
        self.writers = max(1, options.concurrency // 3)

    def _mode(self, ctx: Context) -> str:
        rc = self.options.read_consistency
        return ctx.rng.choice(READ_MODES) if rc == MIXED else rc

    def _role(self, worker: int) -> Generator:
        both = self.options.concurrency == 1
        writer = worker < self.writers
        state: dict[str, Any] = {"step": 0, "n": -1}

        def op(ctx: Context) -> OpSpec:
            step = state["step"]
            state["step"] = (step + 1) % (4 if both else 2)
            if both or writer:
                if step == 0:
                    n = state["n"] = self.pairs
                    self.pairs += 1
                    return OpSpec("write", [photo_key(n), f"picture {n}"])
                if step == 1:
                    n = state["n"]
                    self.recent.append(n)
                    return OpSpec("write", [comment_key(n), f"nice picture {n}!"])
                step -= 2
            if step == 0:
                n = ctx.rng.choice(self.recent) if self.recent else self.options.first_key
                state["n"] = n
                return OpSpec("read", [comment_key(n), None], {"consistency": self._mode(ctx)})
            return OpSpec("read", [photo_key(state["n"]), None],
                          {"consistency": self._mode(ctx)})

        return FnGen(op)

    def setup_generator(self) -> Generator | None:
        return None

    def generator(self) -> Generator:
        return EachWorker(self._role)

    def final_generator(self) -> Generator | None:
        return None

    def checker_options(self) -> dict[str, Any]:
        return {}


SPEC = WorkloadSpec("causal", "a picture, then a comment on it: effects without their causes",
                    CausalWorkload, reads=frozenset({"read_consistency"}),
                    needs=CausalWorkload.needs)
