"""Porcupine etcd and kv log importers."""

from __future__ import annotations

from pathlib import Path

import pytest

from isolde._errors import BadInput
from isolde.histories import detect_format, load_history

ETCD = """INFO  jepsen.util - 0\t:invoke\t:read\tnil
INFO  jepsen.util - 1\t:invoke\t:cas\t[1 2]
INFO  jepsen.util - 2\t:invoke\t:write\t3
INFO  jepsen.util - 0\t:ok\t:read\tnil
INFO  jepsen.util - 1\t:info\t:cas\t:timed-out
INFO  jepsen.util - 2\t:fail\t:write\t3
INFO  jepsen.util - 0   :invoke   :read   nil
INFO  jepsen.util - 0   :fail   :read   :timed-out
"""

KV = """{:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}
{:process 1, :type :invoke, :f :get, :key "9", :value nil}
{:process 9, :type :ok, :f :append, :key "0", :value "x 9 0 y"}
{:process 1, :type :ok, :f :get, :key "9", :value "a \\"q\\""}
"""


def test_etcd_log(tmp_path: Path) -> None:
    p = tmp_path / "etcd.log"
    p.write_text(ETCD)
    assert detect_format(p) == "porcupine-etcd"
    h = load_history(p)
    assert [(o.type, o.process, o.f, o.value) for o in h][:6] == [
        ("invoke", 0, "read", None), ("invoke", 1, "cas", [1, 2]), ("invoke", 2, "write", 3),
        ("ok", 0, "read", None), ("info", 1, "cas", [1, 2]), ("fail", 2, "write", 3)]
    assert h[4].error == "timed-out"
    assert (h[7].type, h[7].value, h[7].error) == ("fail", None, "timed-out")
    assert h.pair(1) == 4 and h.pair(6) == 7


def test_kv_log(tmp_path: Path) -> None:
    p = tmp_path / "c.txt"
    p.write_text(KV)
    assert detect_format(p) == "porcupine-kv"
    h = load_history(p)
    assert [(o.type, o.process, o.f, o.value) for o in h] == [
        ("invoke", 9, "append", ["0", "x 9 0 y"]), ("invoke", 1, "get", ["9", None]),
        ("ok", 9, "append", ["0", "x 9 0 y"]), ("ok", 1, "get", ["9", 'a "q"'])]


@pytest.mark.parametrize(("fmt", "text", "where"), [
    ("porcupine-etcd", ETCD + "INFO  jepsen.util - 3\t:invoke\t:frob\t1\n", ":9"),
    ("porcupine-etcd", "INFO  jepsen.util - 3\t:invoke\t:write\tx1\n", ":1"),
    ("porcupine-etcd", "hello\n", ":1"),
    ("porcupine-kv", KV + "{:process 1, :type :ok}\n", ":5"),
])
def test_bad_lines_say_where(tmp_path: Path, fmt: str, text: str, where: str) -> None:
    p = tmp_path / "bad.log"
    p.write_text(text)
    with pytest.raises(BadInput) as e:
        load_history(p, fmt)
    assert str(e.value).startswith(f"{p}{where}:")
