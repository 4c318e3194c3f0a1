"""Plugins found by entry point: stores (``isolde.stores``), workloads (``isolde.workloads``) and
checkers (``isolde.checkers``).

isolde's own stores, workloads and checkers are registered in its ``pyproject.toml`` exactly as a
third party registers theirs, so there is one path. A plugin is loaded only when it is used (a
cloud SDK is imported only by the store that needs it); a broken one fails in one line naming its
entry point and distribution, and never stops the others from loading.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Generic, Protocol, TypeVar

from ._errors import UsageError

log = logging.getLogger("isolde.plugins")
T = TypeVar("T")
OWN_DISTRIBUTION = "isolde"


class PluginError(UsageError):
    """A plugin that cannot be loaded or does not declare what its group requires (exit 254)."""


def describe(ep: EntryPoint) -> str:
    """``name = module:attr`` and the distribution that declared it, for one-line messages."""
    dist = ep.dist
    where = f" (from {dist.metadata['Name']} {dist.version})" if dist is not None else ""
    return f"{ep.name} = {ep.value}{where}"


class Registry(Mapping[str, T], Generic[T]):
    """Entry points of one group, by name; an item is loaded (and checked by ``validate``) on
    first access. ``validate(name, obj)`` returns the plugin object or raises TypeError saying
    what is wrong with it."""

    def __init__(self, group: str, kind: str, validate: Callable[[str, object], T]) -> None:
        self.group = group
        self.kind = kind
        self._validate = validate
        self._points: dict[str, EntryPoint] | None = None
        self._loaded: dict[str, T] = {}

    def points(self) -> dict[str, EntryPoint]:
        if self._points is None:
            self._points = {}
            # isolde's own first, so a third-party plugin cannot shadow a built-in name.
            found = sorted(entry_points(group=self.group),
                           key=lambda ep: (_dist_name(ep) != OWN_DISTRIBUTION, ep.name))
            for ep in found:
                if ep.name in self._points:
                    log.warning("%s plugin %s ignored: the name is taken by %s", self.kind,
                                describe(ep), describe(self._points[ep.name]))
                    continue
                self._points[ep.name] = ep
        return self._points

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.points()))

    def __len__(self) -> int:
        return len(self.points())

    def __contains__(self, name: object) -> bool:
        return name in self.points()

    def __getitem__(self, name: str) -> T:
        if name in self._loaded:
            return self._loaded[name]
        ep = self.points()[name]  # KeyError for an unknown name, as a Mapping must
        try:
            obj = self._validate(name, ep.load())
        except Exception as e:  # anything a plugin's import can raise: report it, in one line
            raise PluginError(f"{self.kind} plugin {describe(ep)} cannot be loaded: "
                              f"{type(e).__name__}: {_one_line(e)}") from None
        self._loaded[name] = obj
        return obj

    def get_or_refuse(self, name: str) -> T:
        """The plugin ``name``; UsageError naming the known ones when there is none."""
        if name not in self:
            raise UsageError(f"unknown {self.kind} {name!r} ({self.known()})")
        return self[name]

    def known(self) -> str:
        if not self.points():
            return (f"no {self.kind} is registered: isolde's entry points are not installed, "
                    "run `pip install -e .` in its checkout")
        return "known: " + ", ".join(self)

    def load_all(self) -> tuple[dict[str, T], dict[str, str]]:
        """Every plugin that loads, and for each one that does not, its one-line error."""
        ok: dict[str, T] = {}
        broken: dict[str, str] = {}
        for name in self:
            try:
                ok[name] = self[name]
            except PluginError as e:
                broken[name] = str(e)
        return ok, broken

    def reset(self) -> None:
        """Forget what was found (after installing a distribution into this process's path)."""
        self._points = None
        self._loaded.clear()


class Named(Protocol):
    @property
    def name(self) -> str: ...


P = TypeVar("P", bound=Named)


def named(cls: type[P], public_name: str) -> Callable[[str, object], P]:
    """A registry's check that an entry point is a ``cls`` of the entry point's own name."""

    def validate(name: str, obj: object) -> P:
        if not isinstance(obj, cls):
            raise TypeError(f"expected an {public_name}, got {type(obj).__name__}")
        if obj.name != name:
            raise TypeError(f"its {cls.__name__} is named {obj.name!r}, not {name!r}")
        return obj

    return validate


def _dist_name(ep: EntryPoint) -> str:
    return str(ep.dist.metadata["Name"]) if ep.dist is not None else ""


def _one_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else "(no message)"
