"""Transaction values held as columns: one byte, one key id and one integer per micro-op.

A list-append history's values are lists of micro-ops (``[["append", 3, 17], ["r", 4, [1 2]]]``);
as the Python objects a JSON decoder builds, that is about twenty objects and 1.1 KB per event.
:class:`TxnColumns` keeps them as arrays instead (9 bytes a micro-op, 4 per element read while
the integers fit in 32 bits, 8 after), and :class:`CompactValues` is the history's ``values``
column that rebuilds a value, exactly as it was decoded, only when someone asks for it. The
isolation checkers read the columns directly.

A block of values is encoded only when every value in it has the shapes below; otherwise the
whole block stays as decoded objects (the checkers then judge and refuse them as before):
a list of 3-element lists ``[f, key, value]``, ``key`` an int or a string, and the value an
int for ``append`` and ``w``, and ``nil``, an int, or a list of ints for ``r``.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from itertools import accumulate, chain, compress, islice, repeat
from operator import is_, itemgetter, or_
from typing import Any, TypeVar, overload

# Micro-op kinds: what the byte column holds. A read's kind says what its value column holds.
R_NIL, R_LIST, R_INT, APPEND, W = 0, 1, 2, 3, 4
F_OF_KIND = ("r", "r", "r", "append", "w")
# A micro-op's kind from its f's bits and its value's type's bits (255: not encoded).
_F_BITS = {"r": 0, "append": 4, "w": 8}
_TYPE_BITS = {type(None): 0, list: 1, int: 2}
_BAD = 255
_KIND_OF_BITS = bytes(
    {0: R_NIL, 1: R_LIST, 2: R_INT, 4 | 2: APPEND, 8 | 2: W}.get(b, _BAD) for b in range(256))
_FIRST, _SECOND, _THIRD = itemgetter(0), itemgetter(1), itemgetter(2)
T = TypeVar("T")


class TxnColumns:
    """Micro-ops of encoded transaction values, as columns.

    Value ``c``'s micro-ops are ``start[c]:start[c + 1]``; micro-op ``m`` has kind ``kinds[m]``,
    key ``key_table[keys[m]]`` and, by kind, ``vals[m]`` the appended / written / read integer,
    or for ``R_LIST`` a read id ``r`` whose elements are ``elems[read_start[r]:read_start[r + 1]]``.
    """

    __slots__ = ("_key_ids", "elems", "key_table", "keys", "kinds", "read_start", "start", "vals")

    R_NIL, R_LIST, R_INT, APPEND, W = R_NIL, R_LIST, R_INT, APPEND, W

    def __init__(self) -> None:
        self.start = array("q", [0])
        self.kinds = bytearray()
        # 32-bit columns until a value needs 64 (then the column is widened once).
        self.keys = array("i")
        self.vals = array("i")
        self.read_start = array("q", [0])
        self.elems = array("i")
        self.key_table: list[int | str] = []
        self._key_ids: dict[int | str, int] = {}

    def __len__(self) -> int:
        return len(self.start) - 1

    def encode(self, values: list[Any]) -> int:
        """Append ``values`` (transaction values, as decoded); the id of the first, or -1 with
        nothing appended when some value is not of the encoded shapes."""
        try:
            cols = _columns(values, len(self.read_start) - 1, self.vals.typecode,
                            self.elems.typecode)
        except (TypeError, KeyError, ValueError, OverflowError):
            return -1
        if cols is None:
            return -1
        lens, kinds, keys, vals, read_lens, elems = cols
        first = len(self)
        self._add_keys(keys)
        self.vals = _joined(self.vals, vals)
        self.keys.extend(map(self._key_ids.__getitem__, keys))
        self.kinds += kinds
        _extend_offsets(self.start, lens)
        _extend_offsets(self.read_start, read_lens)
        self.elems = _joined(self.elems, elems)
        return first

    def _add_keys(self, keys: Sequence[Any]) -> None:
        ids = self._key_ids
        for k in set(keys).difference(ids):
            ids[k] = len(self.key_table)
            self.key_table.append(k)

    def read(self, r: int) -> array[int]:
        """Read ``r``'s elements (an array: no object per element)."""
        rs = self.read_start
        return self.elems[rs[r]:rs[r + 1]]

    def value(self, c: int) -> list[list[Any]]:
        """Value ``c`` as it was decoded: ``[[f, key, value], ...]`` with reads as lists."""
        return [[f, k, v.tolist() if type(v) is array else v] for f, k, v in self.mops(c)]

    def mops(self, c: int) -> list[tuple[str, Any, Any]]:
        """Value ``c``'s micro-ops as ``(f, key, value)``, a read's list as an array."""
        kinds, keys, vals, table = self.kinds, self.keys, self.vals, self.key_table
        rs, elems = self.read_start, self.elems
        m0 = self.start[c]
        return [(F_OF_KIND[kind], table[keys[m]], vals[m] if kind > R_LIST else
                 elems[rs[vals[m]]:rs[vals[m] + 1]] if kind == R_LIST else None)
                for m, kind in enumerate(kinds[m0:self.start[c + 1]], m0)]

    def read_ids(self, c: int) -> list[int]:
        """Each micro-op of value ``c``: its read id (``R_LIST``), else -1."""
        vals, m0 = self.vals, self.start[c]
        return [vals[m] if kind == R_LIST else -1
                for m, kind in enumerate(self.kinds[m0:self.start[c + 1]], m0)]

    def has_reads(self, c: int) -> bool:
        """Whether value ``c`` holds a read with a value (not ``nil``)."""
        kinds = self.kinds
        return any(R_NIL < kinds[m] <= R_INT for m in range(self.start[c], self.start[c + 1]))

    def fs(self) -> set[str]:
        """The micro-op fs present."""
        return {F_OF_KIND[k] for k in set(self.kinds)}


Columns = tuple[list[int], bytes, list[Any], "array[int]", list[int], "array[int]"]


def _columns(values: list[Any], first_read: int, vals_type: str, elems_type: str
             ) -> Columns | None:
    """The columns of ``values`` in C-speed passes (reads numbered from ``first_read``; integer
    columns of the type codes given, or 64-bit), or None when a shape is not encodable (a wrong
    type raises TypeError / KeyError / OverflowError on the way, which the caller takes the
    same)."""
    if set(map(type, values)) != {list}:
        return None
    mops = list(chain.from_iterable(values))
    if set(map(type, mops)) - {list} or set(map(len, mops)) - {3}:
        return None
    keys, vals = list(map(_SECOND, mops)), list(map(_THIRD, mops))
    vtypes = list(map(type, vals))
    kinds = bytes(map(or_, map(_F_BITS.__getitem__, map(_FIRST, mops)),
                      map(_TYPE_BITS.__getitem__, vtypes))).translate(_KIND_OF_BITS)
    if _BAD in kinds or set(map(type, keys)) - {int, str}:
        return None
    is_list = list(map(is_, vtypes, repeat(list)))
    reads = list(compress(vals, is_list))
    elems = list(chain.from_iterable(reads))
    if set(map(type, elems)) - {int}:
        return None
    # A read's id, and 0 for a nil read, take the place of its value in the value column.
    for r, m in enumerate(compress(range(len(vals)), is_list), first_read):
        vals[m] = r
    for m in compress(range(len(vals)), map(is_, vtypes, repeat(type(None)))):
        vals[m] = 0
    return list(map(len, values)), kinds, keys, _ints(vals, vals_type), \
        list(map(len, reads)), _ints(elems, elems_type)


def _ints(xs: list[int], typecode: str) -> array[int]:
    """``xs`` as an array of ``typecode``, or of 64-bit integers when some need them
    (OverflowError when some need more)."""
    try:
        return array(typecode, xs)
    except OverflowError:
        return array("q", xs)


def _joined(col: array[int], block: array[int]) -> array[int]:
    """``col`` with ``block`` after it: widened to 64 bits first when either is."""
    if col.typecode != block.typecode:
        if col.typecode != "q":
            col = array("q", col)
        else:
            block = array("q", block)
    col += block
    return col


def _extend_offsets(offsets: array[int], lens: list[int]) -> None:
    offsets.extend(islice(accumulate(lens, initial=offsets[-1]), 1, None))


class ColumnsView(Sequence[T]):
    """Items held as themselves, or (``ids[i] >= 0``) as an id into columns that
    :meth:`rebuild` turns back into the item when it is asked for."""

    __slots__ = ("ids", "plain")

    def __init__(self, plain: list[Any] | None = None, ids: array[int] | None = None) -> None:
        self.plain: list[Any] = plain if plain is not None else []
        self.ids: array[int] = ids if ids is not None else array("q")

    def append(self, item: Any, c: int = -1) -> None:
        """``item``, or (``c >= 0``) the item the columns hold as ``c``."""
        self.plain.append(None if c >= 0 else item)
        self.ids.append(c)

    def rebuild(self, c: int) -> T:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.plain)

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> list[T]: ...
    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        c = self.ids[i]
        return self.plain[i] if c < 0 else self.rebuild(c)

    def __iter__(self) -> Iterator[T]:
        rebuild = self.rebuild
        for item, c in zip(self.plain, self.ids, strict=True):
            yield item if c < 0 else rebuild(c)


class CompactValues(ColumnsView[Any]):
    """A history's values: as decoded, except transaction values kept in :class:`TxnColumns`,
    rebuilt as decoded."""

    __slots__ = ("cols",)

    def __init__(self, plain: list[Any], ids: array[int], cols: TxnColumns) -> None:
        super().__init__(plain, ids)
        self.cols = cols

    def rebuild(self, c: int) -> Any:
        return self.cols.value(c)
