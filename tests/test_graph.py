"""The general graph container and the matmul merge (what imported torch graphs use)."""

import json

import pytest

import symcost as sc

from .oracle import conv2d


def _block():
    return sc.Graph(name="block", nodes=[
        sc.GraphNode(name="conv", op=sc.Conv2d(in_channels=4, out_channels=4, kernel_size=3,
                                               padding=1, bias=False)),
        sc.GraphNode(name="relu", op=sc.ReLU(), inputs=("conv",)),
        sc.GraphNode(name="gate", op=sc.Sigmoid(), inputs=("input",)),
        sc.GraphNode(name="mul", op=sc.Mul(), inputs=("relu", "gate"), source="operator"),
        sc.GraphNode(name="add", op=sc.Add(), inputs=("mul", "input"))])


def test_graph_equals_the_same_network_built_from_containers():
    # independent check: the residual/parallel containers price the same DAG
    H, W = sc.dims("H W")
    x = sc.Shape(N=2, C=4, H=H, W=W)
    same = sc.Residual(body=sc.Parallel(branches=[
        sc.Sequential(layers=[sc.Conv2d(in_channels=4, out_channels=4, kernel_size=3,
                                        padding=1, bias=False), sc.ReLU()]),
        sc.Sigmoid()], merge="mul"))
    for conv in ("seed", "flops"):
        assert _block().cost(x, conv).total.equals(same.cost(x, conv).total)
    paths = [r.path for r in _block().cost(x).rows]
    assert paths == ["", "conv", "relu", "gate", "mul", "add"]


def test_graph_macs_match_the_brute_force_oracle():
    r = _block().cost(sc.Shape(N=1, C=4, H=5, W=6), "macs")
    assert r.total.macs == conv2d(1, 4, 5, 6, 4, 3, padding=1)["mac"]


def test_source_is_copied_into_the_census():
    r = _block().analyze(sc.Shape(C=4, H=8, W=8))
    sources = {n.path: n.census.attrs.get("source") for n in r.root.walk() if n.census}
    assert sources["mul"] == "operator" and sources["conv"] is None


def test_graph_round_trips_through_json():
    g = _block()
    again = sc.load(sc.dump(g))
    assert again == g
    assert json.loads(sc.dump(g))["network"]["nodes"][3]["op"] == {"kind": "mul"}


@pytest.mark.parametrize("nodes, field", [
    ([{"name": "a", "op": {"kind": "relu"}, "inputs": ["b"]}], "inputs"),
    ([{"name": "input", "op": {"kind": "relu"}}], "name"),
    ([{"name": "a", "op": {"kind": "relu"}, "inputs": ["input", "input"]}], "inputs"),
])
def test_miswired_graphs_name_node_and_field(nodes, field):
    with pytest.raises(sc.SpecError) as err:
        sc.Graph(nodes=nodes)
    assert err.value.field.endswith(field)


def test_matmul_of_maps_and_vectors():
    L, d = sc.dims("L d")
    out, census, _ = sc.MatMul().combine([sc.Shape(N=2, C=3, H=L, W=d),
                                          sc.Shape(N=1, C=3, H=d, W=5)], "mm")
    assert out == sc.Shape(N=2, C=3, H=L, W=5)
    assert census.ops.mac == 2 * 3 * L * 5 * d
    out, census, _ = sc.MatMul().combine([sc.Shape(N=7, C=4), sc.Shape(N=4, C=9)], "mm")
    assert (out.N, out.C, census.ops.mac) == (7, 9, 7 * 9 * 4)
    with pytest.raises(sc.ShapeMismatchError):
        sc.MatMul().combine([sc.Shape(N=7, C=4), sc.Shape(N=5, C=9)], "mm")
