"""The Op: one recorded event of a history (an invocation or a completion)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

OpType = Literal["invoke", "ok", "fail", "info"]
OP_TYPES: tuple[str, ...] = ("invoke", "ok", "fail", "info")
NEMESIS = "nemesis"

Process = int | str
EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Op:
    """One event: ``ok`` took effect, ``fail`` certainly did not, ``info`` may have.

    ``time`` is nanoseconds since the run started, from one monotonic clock. ``extra`` holds any
    further fields (read mode, retries, key...) and is written out beside the standard ones.
    """

    index: int
    time: int
    type: str
    process: Process
    f: str
    value: Any = None
    error: Any = None
    extra: Mapping[str, Any] = field(default_factory=lambda: EMPTY, compare=False)

    @property
    def is_invoke(self) -> bool:
        return self.type == "invoke"

    @property
    def is_ok(self) -> bool:
        return self.type == "ok"

    @property
    def is_fail(self) -> bool:
        return self.type == "fail"

    @property
    def is_info(self) -> bool:
        return self.type == "info"

    @property
    def is_client(self) -> bool:
        return self.process != NEMESIS

    def complete(
        self, type: str, value: Any = None, error: Any = None, **extra: Any
    ) -> Op:
        """The completion of this invocation; the harness stamps ``index`` and ``time``."""
        merged = {**self.extra, **extra} if extra else self.extra
        return Op(-1, -1, type, self.process, self.f, value, error, merged)

    def with_(self, **changes: Any) -> Op:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Jepsen field names; ``error`` only when set; extra fields after the standard ones."""
        d: dict[str, Any] = {
            "index": self.index,
            "time": self.time,
            "type": self.type,
            "process": self.process,
            "f": self.f,
            "value": self.value,
        }
        if self.error is not None:
            d["error"] = self.error
        if self.extra:
            for k, v in self.extra.items():
                d.setdefault(k, v)
        return d
