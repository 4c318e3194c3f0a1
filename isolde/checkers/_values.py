"""One rendering of history values in explanations and on the terminal: Jepsen's (EDN-like).

``nil`` for the absent value (JSON null, Python None), ``true``/``false``, vectors as
``[1 2 3]``, maps as ``{"a" 1}``, strings in double quotes. Histories themselves stay JSON.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..histories import dumps_edn

MAX_CHARS = 200  # a value longer than this is cut, with "..."


def show_value(v: Any, limit: int = MAX_CHARS) -> str:
    s = _show(v)
    return s if len(s) <= limit else s[:limit - 3] + "..."


def _show(v: Any) -> str:
    if v is None or type(v) is bool:
        return dumps_edn(v)  # nil, true, false: EDN's words, from the one table of them
    if isinstance(v, str):
        return orjson.dumps(v).decode()
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(_show(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_show(k)} {_show(x)}" for k, x in v.items()) + "}"
    return str(v)
