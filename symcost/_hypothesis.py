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

    # deferred: when `import symcost.strategies` is what first imports hypothesis, this hook
    # runs while that module is still half-built, so its functions are looked up at draw time
    def layer_of(cls):
        return st.deferred(lambda: sst.layers(kinds=[cls]))

    def container_of(kind: str):
        return st.deferred(lambda: sst._container_of(kind))

    for cls in LAYER_TYPES:
        st.register_type_strategy(cls, layer_of(cls))
    for merge in MERGE_TYPES:
        st.register_type_strategy(merge, st.just(merge()))  # merges have no fields
    st.register_type_strategy(Shape, st.deferred(lambda: sst.shapes()))
    st.register_type_strategy(Sequential, st.deferred(lambda: sst.networks(containers=[])))
    for box in (Residual, Parallel, Repeat, Graph):
        st.register_type_strategy(box, container_of(box.model_fields["kind"].default))
