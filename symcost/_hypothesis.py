"""Hypothesis' entry point: registers a strategy for every symcost spec type, so that
``st.from_type(symcost.Conv2d)`` draws valid convolutions.

Installed packages are found through the ``hypothesis`` entry point in pyproject.toml;
without it (a source checkout), call :func:`_hypothesis_setup_hook` yourself.
"""

from __future__ import annotations


def _hypothesis_setup_hook() -> None:
    """Register symcost's type strategies with hypothesis (idempotent)."""
    from hypothesis import strategies as st

    from . import strategies as sst
    from .network import Graph, Parallel, Repeat, Residual, Sequential
    from .shapes import Shape
    from .spec import LAYER_TYPES, MERGE_TYPES

    for cls in LAYER_TYPES:
        st.register_type_strategy(cls, sst.layers(kinds=[cls]))
    for merge in MERGE_TYPES:
        st.register_type_strategy(merge, st.just(merge()))  # merges have no fields
    st.register_type_strategy(Shape, sst.shapes())
    st.register_type_strategy(Sequential, sst.networks(containers=[]))
    for box in (Residual, Parallel, Repeat, Graph):
        st.register_type_strategy(box, sst._container_of(box.model_fields["kind"].default))
