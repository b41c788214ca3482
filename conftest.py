"""pytest's view of the repository root: the doctests of modules whose optional extra is not
installed are not collected (the tests that need the extra skip with a reason)."""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("torch") is None:
    collect_ignore.append("symcost/importers/pytorch.py")
