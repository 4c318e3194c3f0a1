"""JSON values <-> DynamoDB attribute values (the low-level wire form), kept minimal and fast."""

from __future__ import annotations

from typing import Any

import orjson

KEY = "k"  # the table's partition key attribute (a string)


def key(k: Any) -> dict[str, dict[str, str]]:
    """The primary key map for workload key ``k`` (any JSON value; stored as its JSON text)."""
    return {KEY: {"S": k if isinstance(k, str) else orjson.dumps(k).decode()}}


def encode(v: Any) -> dict[str, Any]:
    if v is None:
        return {"NULL": True}
    if isinstance(v, bool):
        return {"BOOL": v}
    if isinstance(v, (int, float)):
        return {"N": repr(v)}
    if isinstance(v, str):
        return {"S": v}
    if isinstance(v, (list, tuple)):
        return {"L": [encode(x) for x in v]}
    if isinstance(v, dict):
        return {"M": {str(k): encode(x) for k, x in v.items()}}
    raise TypeError(f"cannot store a {type(v).__name__} in DynamoDB")


def _number(s: str) -> int | float:
    try:
        return int(s)
    except ValueError:
        f = float(s)
        return int(f) if f.is_integer() else f


def decode(a: dict[str, Any] | None) -> Any:
    if a is None:
        return None
    (t, v), = a.items()
    if t == "N":
        return _number(v)
    if t == "S" or t == "BOOL":
        return v
    if t == "NULL":
        return None
    if t == "L":
        return [decode(x) for x in v]
    if t == "M":
        return {k: decode(x) for k, x in v.items()}
    raise ValueError(f"unexpected DynamoDB attribute type {t!r}")
