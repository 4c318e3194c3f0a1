"""Faults: the nemesis (see the nemesis issue)."""
