"""Round trips: load(dump(net)) == net with identical costs, for generated networks (every
layer kind, every container and merge) and for every built-in network, in JSON and YAML."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import symcost as sc
from symcost.spec import CONTAINER_TYPES, LAYER_TYPES, MERGE_TYPES

from .netgen import networks
from .profiles import examples, sweep

_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.large_base_example])


def _kinds(spec) -> set[str]:
    found = set()
    stack = [spec]
    while stack:
        value = stack.pop()
        if isinstance(value, BaseModel):
            if getattr(value, "kind", None):
                found.add(value.kind)
            stack.extend(getattr(value, f) for f in type(value).model_fields)
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
    return found


def _cost_fields(cost) -> tuple:
    # OpCounts compares by identity, so compare its entries
    return (cost.macs, cost.flops, cost.params, cost.buffers, cost.activations,
            cost.memory_bytes, tuple(cost.counts.items()))


def _check_round_trip(net, x, fmt):
    text = sc.dump(net, input=x, format=fmt)
    doc = sc.load_document(text, format=fmt)
    assert doc.network == net and doc.input == x
    assert sc.dump(doc.network, input=doc.input, format=fmt) == text  # a fixed point
    before = net.analyze(x, "flops")
    after = doc.network.analyze(doc.input, "flops")
    assert _cost_fields(after.total) == _cost_fields(before.total)
    assert after.to_text() == before.to_text()  # every row: paths, shapes, per-layer costs


@pytest.mark.property
@settings(max_examples=examples(100, 1000), **_SETTINGS)
@given(networks(max_depth=examples(3, 4)), st.sampled_from(["json", "yaml"]))
def test_generated_networks_round_trip(case, fmt):
    _check_round_trip(*case, fmt)


def _reached(strategy, examples: int) -> set[str]:
    seen: set[str] = set()

    @settings(max_examples=examples, database=None, derandomize=True, **_SETTINGS)
    @given(strategy)
    def collect(case):
        seen.update(_kinds(case[0]))

    collect()
    return seen


def test_the_generator_reaches_every_container_and_merge():
    seen = _reached(networks(), 300)
    every = {cls.model_fields["kind"].default for cls in (*CONTAINER_TYPES, *MERGE_TYPES)}
    assert every - seen == set()


def test_the_generator_builds_every_layer_kind():
    # each kind narrowed in turn: the generator has a valid construction for all of them
    missing = [cls.__name__ for cls in LAYER_TYPES
               if cls.model_fields["kind"].default not in _reached(networks(kinds=(cls,)), 8)]
    assert missing == []


@pytest.mark.parametrize("name", sweep(sc.zoo.names()))
def test_every_zoo_model_round_trips(name):
    entry = sc.zoo.get(name)
    net = entry.build()
    # dump itself loads its text back and compares; here the text is read once more
    for x, fmt in [(entry.input(multiple=True), "yaml"), (entry.input(multiple=True), "json"),
                   (entry.input(multiple=False), "json")]:
        doc = sc.load_document(sc.dump(net, input=x, format=fmt))
        assert doc.network == net and doc.input == x
    assert doc.network.cost(doc.input, "macs").macs == net.cost(x, "macs").macs


# The public strategies (symcost.strategies) draw networks on concrete shapes; the local
# generator above adds symbolic channel counts and symbolic H, W. Both must round-trip.
from symcost import strategies as sst  # noqa: E402

_X = sc.Shape(C=3, H=12, W=12)


@pytest.mark.property
@settings(max_examples=examples(50, 500), **_SETTINGS)
@given(sst.networks(input=_X, max_layers=examples(6, 10)), st.sampled_from(["json", "yaml"]))
def test_networks_of_the_public_strategies_round_trip(net, fmt):
    _check_round_trip(net, _X, fmt)
