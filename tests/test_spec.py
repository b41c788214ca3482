"""The explicit union: every layer kind is in it, and every kind round-trips through JSON."""

import json

import pytest

import symcost as sc
from symcost.layers.base import Layer, Spec
from symcost.spec import CONTAINER_TYPES, LAYER_TYPES, MERGE_TYPES, kind_classes, spec_adapter

from .test_layers import GOLDEN


def _concrete_subclasses(cls):
    for sub in cls.__subclasses__():
        if not sub.__name__.startswith("_"):
            yield sub
        yield from _concrete_subclasses(sub)


def test_every_layer_subclass_is_in_the_union():
    members = set(LAYER_TYPES) | set(CONTAINER_TYPES) | set(MERGE_TYPES)
    missing = {c.__name__ for c in _concrete_subclasses(Spec)
               if c.__module__.startswith("symcost") and c not in members
               and c.__name__ not in ("Layer", "Merge")}
    assert not missing, f"add to symcost/spec.py: {missing}"


def test_kinds_are_unique_and_first():
    kinds = kind_classes()
    assert len(kinds) == len(LAYER_TYPES) + len(CONTAINER_TYPES) + len(MERGE_TYPES)
    for cls in kinds.values():
        assert next(iter(cls.model_fields)) == "kind"


@pytest.mark.parametrize("layer", [g[0] for g in GOLDEN], ids=[g[0].kind for g in GOLDEN])
def test_json_round_trip_of_every_kind(layer):
    text = layer.model_dump_json(exclude_defaults=True)
    assert json.loads(text)["kind"] == layer.kind
    assert spec_adapter().validate_json(text) == layer


def test_every_kind_is_exported_and_listed_in_all():
    for cls in (*LAYER_TYPES, *MERGE_TYPES, *CONTAINER_TYPES):
        assert getattr(sc, cls.__name__) is cls and cls.__name__ in sc.__all__
    assert all(issubclass(c, Layer) for c in LAYER_TYPES)


def test_whole_network_is_one_json_document():
    net = sc.Sequential(name="n", layers=[
        sc.Residual(body=sc.ReLU(), shortcut=sc.Identity()),
        sc.Parallel(branches=[sc.Identity(), sc.Sigmoid()], merge="mul"),
        sc.Repeat(n="n_blocks", body=sc.ReLU())])
    text = sc.dump(net)
    again = sc.load(text)
    assert again == net
    assert json.loads(text)["network"]["layers"][1]["merge"] == {"kind": "mul"}
