"""isolde from Python and pytest: one run as a function, the user's own code as the store."""

from ._apps import AppStore, BankApp, BankAppClient, Refused, RegisterApp, RegisterAppClient
from ._run import RunResult, isolde_run

__all__ = ["AppStore", "BankApp", "BankAppClient", "Refused", "RegisterApp",
           "RegisterAppClient", "RunResult", "isolde_run"]
