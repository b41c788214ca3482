"""How much the tests explore: hypothesis profiles and the zoo sweeps.

The default run (the README's ``python -m pytest``) is short and the same every time:
hypothesis is derandomized (a fixed sequence of examples, no example database), each
property runs its default number of examples, and per-model zoo tests run one model per
family. ``SYMCOST_TEST_PROFILE=thorough`` (what CI's second run sets, with
``-m "slow or property"``) runs many more examples, still the same every time, so that a
submission's CI never depends on luck; ``SYMCOST_TEST_PROFILE=explore`` draws the thorough
counts at random, to look for what the fixed sequences miss.
"""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import settings

settings.register_profile("default", derandomize=True, database=None, deadline=None,
                          print_blob=True)
settings.register_profile("thorough", derandomize=True, database=None, deadline=None,
                          print_blob=True)
settings.register_profile("explore", deadline=None, print_blob=True)

#: The active profile: ``default`` or ``thorough``.
PROFILE = os.environ.get("SYMCOST_TEST_PROFILE", "default")
if PROFILE not in ("default", "thorough", "explore"):
    raise pytest.UsageError(f"SYMCOST_TEST_PROFILE={PROFILE!r}: use default, thorough or "
                            "explore")
settings.load_profile(PROFILE)


def examples(default: int, thorough: int) -> int:
    """The number of hypothesis examples a property runs under the active profile."""
    return default if PROFILE == "default" else thorough


def family(name: str) -> str:
    """A zoo model's family: ``resnet50`` → ``resnet``, ``mobilenet_v3_large`` →
    ``mobilenet_v3``, ``efficientnet_b0`` → ``efficientnet``."""
    match = re.match(r"[a-z]+(?:_v\d+)?", name)
    return match.group(0) if match else name


def sweep(names) -> list:
    """Per-model parameters: the first model of each family (shortest name, then
    alphabetical) runs by default; the others are marked ``slow``."""
    names = sorted(names)
    first: dict[str, str] = {}
    for name in sorted(names, key=lambda n: (len(n), n)):
        first.setdefault(family(name), name)
    chosen = set(first.values())
    return [name if name in chosen else pytest.param(name, marks=pytest.mark.slow)
            for name in names]
