"""Hypothesis' entry point: registers a strategy for every symcost spec type, so that
``st.from_type(symcost.Conv2d)`` draws valid convolutions.

Installed packages are found through the ``hypothesis`` entry point in pyproject.toml;
without it (a source checkout), call :func:`_hypothesis_setup_hook` yourself.
"""

from __future__ import annotations

import importlib


def _strategies():
    # looked up when a strategy is first drawn, never while hypothesis loads its entry
    # points: `from symcost import strategies` imports hypothesis, which runs this hook
    # while symcost.strategies is still half-initialised
    return importlib.import_module("symcost.strategies")


def _hypothesis_setup_hook() -> None:
    """Register symcost's type strategies with hypothesis (idempotent)."""
    from hypothesis import strategies as st

    from .containers import Graph, Parallel, Repeat, Residual, Sequential
    from .shapes import Shape
    from .spec import LAYER_TYPES, MERGE_TYPES

    for cls in LAYER_TYPES:
        st.register_type_strategy(cls, lambda t: _strategies().layers(kinds=[t]))
    for merge in MERGE_TYPES:
        st.register_type_strategy(merge, st.just(merge()))
    st.register_type_strategy(Shape, lambda t: _strategies().shapes())
    st.register_type_strategy(Sequential, lambda t: _strategies().networks(containers=[]))
    for box in (Residual, Parallel, Repeat, Graph):
        st.register_type_strategy(
            box, lambda t: _strategies()._container_of(t.model_fields["kind"].default))
