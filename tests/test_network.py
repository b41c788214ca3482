"""Containers: shape propagation, sums, breakdown rows, evaluation."""

import pytest
import sympy

import symcost as sc

H, W, C, n = sc.dims("H W C n")


def basic_block(c):
    return sc.Residual(body=sc.Sequential([
        sc.Conv2d(in_channels=c, out_channels=c, kernel_size=3, padding=1, bias=False),
        sc.BatchNorm2d(num_features=c), sc.ReLU(),
        sc.Conv2d(in_channels=c, out_channels=c, kernel_size=3, padding=1, bias=False),
        sc.BatchNorm2d(num_features=c)]))


def test_residual_identity_adds_once_per_element():
    x = sc.Shape(C=8, H=H, W=W)
    result = basic_block(8).cost(x, "flops")
    add_row = next(r for r in result.rows if r.kind == "add")
    assert add_row.cost.flops == 8 * H * W
    assert result.output == x


def test_residual_with_projection_shortcut():
    block = sc.Residual(
        body=sc.Conv2d(in_channels=8, out_channels=16, kernel_size=3, stride=2, padding=1),
        shortcut=sc.Conv2d(in_channels=8, out_channels=16, kernel_size=1, stride=2))
    result = block.cost(sc.Shape(C=8, H=16, W=16), "macs")
    # by hand: 3x3 conv 8*16*9*64 + 1x1 conv 8*16*64
    assert result.total.macs == 8 * 16 * 9 * 64 + 8 * 16 * 64
    assert result.output.C == 16 and result.output.H == 8


def test_parallel_concat_and_squeeze_excitation_mul():
    inception = sc.Parallel(branches=[
        sc.Conv2d(in_channels=C, out_channels=4, kernel_size=1),
        sc.Conv2d(in_channels=C, out_channels=6, kernel_size=3, padding=1),
        sc.MaxPool2d(kernel_size=3, stride=1, padding=1)])
    out = inception.cost(sc.Shape(C=C, H=H, W=W)).output
    assert out.C == C + 10 and out.H == H
    se = sc.Parallel(branches=[
        sc.Identity(),
        sc.Sequential([sc.GlobalAvgPool2d(), sc.Conv2d(in_channels=16, out_channels=4,
                                                       kernel_size=1),
                       sc.ReLU(), sc.Conv2d(in_channels=4, out_channels=16, kernel_size=1),
                       sc.Sigmoid()])], merge="mul")
    result = se.cost(sc.Shape(C=16, H=H, W=W), "flops")
    mul_row = next(r for r in result.rows if r.kind == "mul")
    assert mul_row.cost.counts.mul == 16 * H * W  # broadcast N×C×1×1 over N×C×H×W
    assert result.output == sc.Shape(C=16, H=H, W=W)


def test_repeat_with_symbolic_depth():
    net = sc.Repeat(n=n, body=basic_block(C))
    total = net.cost(sc.Shape(C=C, H=H, W=W), "macs").total.macs
    assert sympy.expand(total - n * 2 * 9 * C**2 * H * W) == 0
    rows = net.cost(sc.Shape(C=C, H=H, W=W)).breakdown()
    assert all(r.count == n for r in rows[1:])


def test_breakdown_rows_sum_to_total():
    net = sc.zoo.mobilenet_v1()
    result = net.cost(sc.Shape(C=3, H=224, W=224), "flops")
    leaves = result.breakdown(leaves_only=True)
    assert sum(int(r.cost.flops) for r in leaves) == result.total.flops
    top = result.breakdown(depth=1)
    assert sum(int(r.cost.macs) for r in top if r.depth == 1) == result.total.macs


def test_evaluate_matches_concrete_analysis_at_odd_sizes():
    net = sc.Sequential([basic_block(4), sc.MaxPool2d(kernel_size=3, stride=2, padding=1,
                                                      ceil_mode=True), basic_block(4)])
    symbolic = net.cost(sc.Shape(C=4, H=H, W=W), "flops")
    for h, w in [(5, 7), (9, 2), (16, 31)]:
        concrete = net.cost(sc.Shape(C=4, H=h, W=w), "flops").total
        assert symbolic.evaluate(H=h, W=w).total.as_dict() == concrete.evaluate().as_dict()


def test_network_values_give_every_row_as_ints():
    values = sc.zoo.mobilenet_v1().cost(sc.Shape(C=3, H=H, W=W), "macs").evaluate(H=224,
                                                                                  W=224)
    assert values.macs == 568_740_352
    assert all(isinstance(v.macs, int) for _, v, _ in values.rows)
    fc = next(s for r, _, s in values.rows if r.path == "fc")
    assert fc.C == 1000


def test_mismatch_names_both_layers_by_path():
    net = sc.Sequential(name="net", layers=[
        sc.Sequential(name="body", layers=[
            sc.Conv2d(in_channels=3, out_channels=8, kernel_size=3, name="conv"),
            sc.Conv2d(in_channels=4, out_channels=8, kernel_size=3, name="conv2")])])
    with pytest.raises(sc.ShapeMismatchError) as info:
        net.cost(sc.Shape(C=3, H=H, W=W))
    assert "body.conv2 (conv2d)" in str(info.value)
    assert "body.conv (conv2d)" in str(info.value)


def test_symbolic_channel_mismatch_is_deferred_to_evaluate():
    net = sc.Sequential([sc.Conv2d(in_channels=C, out_channels=8, kernel_size=1)])
    result = net.cost(sc.Shape(C=sc.dim("D"), H=4, W=4))
    with pytest.raises(sc.ConstraintError, match="in_channels"):
        result.evaluate(C=3, D=4)
    assert result.evaluate(C=3, D=3).macs == 3 * 8 * 16


def test_network_json_round_trip_keeps_the_cost():
    net = sc.zoo.mobilenet_v1(0.5)
    doc = sc.load_document(sc.dump(net, input=sc.Shape(C=3, H=H, W=W)))
    again, shape = doc.network, doc.input
    assert again == net and shape == sc.Shape(C=3, H=H, W=W)
    assert again.cost(shape, "macs").total.macs == net.cost(shape, "macs").total.macs


def test_shared_layer_used_twice_is_costed_twice():
    conv = sc.Conv2d(in_channels=4, out_channels=4, kernel_size=1)
    net = sc.Sequential([conv, conv])
    assert net.cost(sc.Shape(C=4, H=2, W=2), "macs").total.macs == 2 * 16 * 4


def test_evaluated_container_rows_equal_their_own_formulas():
    # evaluate() adds container rows up from their leaves; each must still equal the
    # container's own formula evaluated directly
    net = sc.Sequential([sc.Repeat(n=3, body=basic_block(4)),
                         sc.SeparableConv2d(in_channels=4, out_channels=8, kernel_size=3)])
    result = net.cost(sc.Shape(C=4, H=H, W=W), "flops")
    values = result.evaluate(H=9, W=7)
    for row, value, _ in values.rows:
        assert value.as_dict() == row.cost.evaluate(H=9, W=7).as_dict(), row.path


def test_every_container_walks_its_children_as_its_rows_are_named():
    """children() and map_children() are the one walk over a tree: labels are the row
    paths of the breakdown, and mapping every child to itself rebuilds the same spec."""
    relu, conv = sc.ReLU(), sc.PointwiseConv2d(in_channels=3, out_channels=3)
    graph = sc.Graph(nodes=[sc.GraphNode(name="a", op=conv),
                            sc.GraphNode(name="b", op=sc.Add(), inputs=("a", "input"))])
    boxes = [sc.Sequential([relu, conv]), sc.Residual(body=conv, shortcut=relu),
             sc.Parallel([relu, sc.Identity(name="skip")], merge="add"),
             sc.Repeat(n=2, body=conv), graph]
    x = sc.Shape(C=3, H=4, W=4)
    for box in boxes:
        assert box.map_children(lambda label, child: child) == box
        rows = {r.path for r in box.cost(x).rows if r.depth == 1}
        assert {label for label, _ in box.children()} <= rows, (box.kind, rows)
    swapped = boxes[0].map_children(lambda label, child: sc.Tanh() if child is relu else child)
    assert swapped.layers[0] == sc.Tanh() and swapped.layers[1] == conv
