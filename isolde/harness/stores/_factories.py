"""Factories that build stores from CLI options (a dict of flag values)."""

from __future__ import annotations

from typing import Any

from .memory import MemoryOptions, MemoryStore


def memory(options: dict[str, Any]) -> MemoryStore:
    fields = MemoryOptions.__dataclass_fields__
    return MemoryStore(MemoryOptions(**{k: v for k, v in options.items() if k in fields}))
