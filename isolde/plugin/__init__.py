"""isolde from Python and pytest: one run as a function, the user's own code as the store."""

from ._apps import AppStore, BankApp, Refused, RegisterApp
from ._run import RunResult, isolde_run

# The clients wrapping an app (``_apps.BankAppClient``...) are AppStore's business, not a user's.
__all__ = ["AppStore", "BankApp", "Refused", "RegisterApp", "RunResult", "isolde_run"]
