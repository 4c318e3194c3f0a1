"""Errors that the CLI turns into one line and an exit code."""

from __future__ import annotations


class IsoldeError(Exception):
    """Base class for errors isolde reports to the user without a traceback."""

    exit_code = 255


class BadInput(IsoldeError):
    """Input the user gave is unusable: a history file, a flag, a name.

    ``where`` is a location such as ``history.jsonl:17`` so the message can say what and where.
    """

    exit_code = 254

    def __init__(self, message: str, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class UsageError(BadInput):
    """A command-line flag or name that makes no sense (also exit 254)."""


class OutOfBudget(IsoldeError):
    """A check's time or memory budget ran out: the verdict is "unknown" (exit 2), not an error.

    The message is the reason, naming the budget that ran out.
    """

    exit_code = 2
