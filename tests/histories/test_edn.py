"""EDN as Jepsen, Knossos and Elle files use it: comments, discards, commas, sets, tags, maps over
many lines, keywords or strings; and the errors and warnings for what is not a history."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pytest

from isolde._errors import BadInput
from isolde.histories import History, detect_edn, dumps_edn, iter_edn, load_history, read_edn

from ..conftest import run_cli


def _one(text: str) -> object:
    values = list(iter_edn(text))
    assert len(values) == 1, values
    return values[0]


def test_comments_whole_line_and_trailing() -> None:
    assert _one("; a comment\n;; another\n[1 ; one\n 2] ; done\n") == [1, 2]


def test_commas_are_whitespace_and_maps_keep_any_key_order() -> None:
    assert _one("{:b 2,,, :a 1,}") == {"b": 2, "a": 1}
    assert _one("[1,2 , 3]") == [1, 2, 3]


def test_discards_nest_and_work_inside_maps() -> None:
    assert _one("[1 #_2 3]") == [1, 3]
    assert _one("[1 #_ #_ 2 3 4]") == [1, 4]
    assert _one("{:a 1 #_:b #_2 :c 3}") == {"a": 1, "c": 3}
    assert _one("#_{:ignored [1 2]} {:kept 1}") == {"kept": 1}
    with pytest.raises(ValueError, match="nothing to discard"):
        list(iter_edn("[1] #_"))


def test_keywords_and_strings_name_the_same_key() -> None:
    assert _one('{:x 0, :y 1}') == _one('{"x" 0, "y" 1}') == {"x": 0, "y": 1}


def test_sets_tags_and_special_values() -> None:
    assert _one("#{3 1 2}") == [1, 2, 3]
    assert _one('#inst "2024-01-01T00:00:00Z"') == "2024-01-01T00:00:00Z"
    assert _one("#jepsen.history.Op{:type :ok}") == {"type": "ok"}
    assert _one('#uuid "0f3c0a5e-0000-0000-0000-000000000000"').startswith("0f3c")
    v = _one("[##Inf ##-Inf ##NaN 1/2 7N 1.5M \\a \\newline \\u0041 nil true false sym]")
    assert isinstance(v, list)
    assert v[:2] == [math.inf, -math.inf] and math.isnan(v[2])
    assert v[3:] == [0.5, 7, 1.5, "a", "\n", "A", None, True, False, "sym"]


def test_unbalanced_and_mismatched_collections() -> None:
    with pytest.raises(ValueError, match="closed by"):
        list(iter_edn("[1 2}"))
    with pytest.raises(ValueError, match="unbalanced"):
        list(iter_edn("1 ]"))
    with pytest.raises(ValueError, match="odd number"):
        list(iter_edn("{:a}"))


KNOSSOS_STYLE = """\
; A cas register, as a Knossos example file: a description first,
; then one vector over many lines.

[{:process 0, :type :invoke, :f :write, :value 1, :index 0}   ; trailing comment
 {:process 0,
  :type :ok,
  :f :write, :value 1, :index 1}
 #_{:process 7, :type :ok, :f :read, :value 99}
 {:f :read, :value nil, :index 2, :type :invoke, :process 1}

 {:value #{1}, :type :ok, :f :read, :process 1, :index 3}]
"""


def test_a_knossos_style_file_is_detected_and_read(tmp_path: Path) -> None:
    p = tmp_path / "history.edn"
    p.write_text(KNOSSOS_STYLE)
    assert detect_edn(p.read_bytes()) == "edn"
    h = load_history(p)  # detected from the content, past the comments
    assert [(op.type, op.f, op.value) for op in h] == [
        ("invoke", "write", 1), ("ok", "write", 1), ("invoke", "read", None), ("ok", "read", [1])]
    assert [h.cite(i) for i in range(4)] == [
        "op 0 (line 4)", "op 1 (line 5)", "op 2 (line 9)", "op 3 (line 11)"]
    r = run_cli("check", "--format", "edn", str(p))
    assert r.returncode in (0, 1), r.stderr


def test_op_maps_one_after_another_with_comments_between(tmp_path: Path) -> None:
    p = tmp_path / "h.edn"
    p.write_text(";; header\n\n{:process 0, :type :invoke, :f :read, :value nil, :index 5}\n"
                 "; between\n{:process 0\n :type :ok, :f :read, :value nil, :index 6}\n")
    h = load_history(p)
    assert len(h) == 2 and h.pair(0) == 1
    assert h.cite(1) == "op 6 (line 5)"


def test_jsonl_is_not_taken_for_edn() -> None:
    assert detect_edn(b'{"index":0,"type":"invoke"}\n') is None
    assert detect_edn(b"; c\n{\"index\" 0}") == "edn"  # after a comment it can only be EDN
    assert detect_edn(b"hello") is None


def test_bad_edn_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "h.edn"
    p.write_text("; fine\n{:process 0, :type :invoke, :f :read}\n{:process 0 :type :ok :f}\n")
    with pytest.raises(BadInput, match=r"h\.edn:3: invalid EDN: map with an odd number"):
        read_edn(p)
    p.write_text("[{:process 0, :type :invoke, :f :read}\n 1 2]\n")
    with pytest.raises(BadInput, match=r"expected an op object"):
        read_edn(p)
    p.write_text("; only a comment\n")
    with pytest.raises(BadInput, match="empty history"):
        read_edn(p)
    r = run_cli("check", "--format", "edn", str(p))
    assert r.returncode == 254 and "Traceback" not in r.stderr


def _read_warned(p: Path, text: str, caplog: pytest.LogCaptureFixture) -> History:
    p.write_text(text)
    with caplog.at_level(logging.WARNING):
        return read_edn(p)


def test_a_torn_last_op_is_dropped_with_a_warning(tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    p = tmp_path / "h.edn"
    h = _read_warned(p, "{:process 0, :type :invoke, :f :read, :value nil}\n"
                     "{:process 0, :type :ok, :f :read, :value nil}\n{:process 1, :type :inv",
                     caplog)
    assert len(h) == 2 and "incomplete" in caplog.text
    p.write_text(p.read_text() + "\n")  # ended by a newline: not torn, corrupt
    with pytest.raises(BadInput, match=r"h\.edn:3"):
        read_edn(p)


def test_ops_without_process_each_their_own(tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    h = _read_warned(tmp_path / "h.edn", "[{:index 0, :type :ok, :value [[:append :x 1]]}\n"
                     " {:index 1, :type :ok, :value [[:r :x [1]]]}]\n", caplog)
    assert caplog.text.count("no :process") == 1
    assert [op.type for op in h] == ["invoke", "invoke", "ok", "ok"]
    assert h[2].process != h[3].process and h[2].f == "txn"
    assert h.pair(0) == 2 and h.pair(1) == 3  # invoked together at the start: concurrent
    assert h.cite(2) == "op 0 (line 1)"


def test_values_written_as_edn_read_back() -> None:
    v = {"k": [1, 2.5, None, True, "s\"q\n", {"nested": [1]}], "2": 3, "a b": -1}
    assert _one(dumps_edn(v)) == v
    assert dumps_edn({"x": 0}) == "{:x 0}" and dumps_edn({"a b": 1}) == '{"a b" 1}'
    assert _one(dumps_edn([math.inf]))[0] == math.inf  # type: ignore[index]


def test_a_bad_process_beside_ops_without_one_is_bad_input(tmp_path: Path) -> None:
    p = tmp_path / "h.edn"
    p.write_text("{:type :ok, :value [[:r :x []]]}\n{:process [1 2], :type :invoke, :f :read}\n")
    with pytest.raises(BadInput, match=r"h\.edn:2: field 'process' must be"):
        read_edn(p)


def test_string_keys_are_edn_when_no_colon_follows(tmp_path: Path) -> None:
    assert detect_edn(b'{"type" "invoke", "f" "read", "process" 0}') == "edn"
    assert detect_edn(b'{"type": "invoke"}') is None and detect_edn(b'{ "type" : 1}') is None
    p = tmp_path / "h.edn"
    p.write_text('{"type" "invoke", "f" "read", "process" 0, "value" nil}\n'
                 '{"type" :ok, :f "read", "process" 0, :value 3}\n')
    assert [(op.type, op.f, op.value) for op in load_history(p)] == [
        ("invoke", "read", None), ("ok", "read", 3)]


_OP = "{:process 0, :type :invoke, :f :read, :value nil}"


@pytest.mark.parametrize(("text", "line"), [
    (f"{_OP}\n[{_OP}]\n", 2),  # op maps, then a vector
    (f"[{_OP}]\n{_OP}\n", 1),  # a vector, then op maps
    (f"[{_OP}]\n[{_OP}]\n", 1),  # two vectors: the first is named
    (f"[]\n{_OP}\n", 1),
])
def test_a_vector_beside_other_values_is_refused_naming_it(tmp_path: Path, text: str,
                                                           line: int) -> None:
    p = tmp_path / "h.edn"
    p.write_text(text)
    with pytest.raises(BadInput, match=rf"h\.edn:{line}: expected one vector of op maps"):
        read_edn(p)


def test_an_empty_vector_is_an_empty_history(tmp_path: Path) -> None:
    p = tmp_path / "h.edn"
    p.write_text("[]\n")
    with pytest.raises(BadInput, match="empty history"):
        read_edn(p)


def _ops(n: int) -> list[str]:
    return [f"{{:index {2 * i}, :process {i % 5}, :type :invoke, :f :write, :value [{i % 7} {i}]}}"
            f"\n{{:index {2 * i + 1}, :process {i % 5}, :type :ok, :f :write, "
            f":value [{i % 7} {i}]}}" for i in range(n)]


@pytest.mark.parametrize("vector", [False, True])
def test_reading_holds_each_op_map_only_while_it_is_added(tmp_path: Path, vector: bool) -> None:
    """Op maps go into the history as they are read (a vector's items included): the peak
    while reading stays near the text plus the history, not a dict and an Op per event on top
    (about 1.7 KB an event before, against ~170 B the history holds)."""
    import tracemalloc
    body = "\n".join(_ops(10_000))
    p = tmp_path / "h.edn"
    p.write_text(f"[{body}]\n" if vector else body + "\n")
    tracemalloc.start()
    try:
        h = read_edn(p)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(h) == 20_000 and h[1].value == [0, 0] and h.cite(3) == "op 3 (line 4)"
    text = p.stat().st_size
    assert peak - held < text + 250 * len(h), (peak, held, text)
