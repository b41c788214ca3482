"""Permute, ChannelChunk, StochasticDepth and LayerScale (their golden census rows are in
tests/test_layers.py); zoo networks survive a JSON round trip."""

import pytest

import symcost as sc

N, C, H, W = sc.dims("N C H W")


def test_permute_moves_axes_and_back():
    shape = sc.Shape(N=N, C=C, H=H, W=W)
    there = sc.Permute(dims=(0, 2, 3, 1)).output_shape(shape)
    # the axes keep their names as they move: channels-last, as torch's tensor is
    assert there.names == ("N", "H", "W", "C") and there.sizes == (N, H, W, C)
    assert sc.Permute(dims=(0, 3, 1, 2)).output_shape(there) == shape
    assert sc.Permute(dims=(0, 2, 3, 1)).cost(shape, "flops").flops == 0


def test_linear_after_a_channels_last_permute_is_a_pointwise_convolution():
    shape = sc.Shape(C=C, H=H, W=W)
    linear = sc.Sequential(layers=[sc.Permute(dims=(0, 2, 3, 1)),
                                   sc.Linear(in_features=C, out_features=4 * C),
                                   sc.Permute(dims=(0, 3, 1, 2))]).cost(shape, "flops").total
    pointwise = sc.PointwiseConv2d(in_channels=C, out_channels=4 * C, bias=True).cost(
        shape, "flops")
    assert linear.equals(pointwise, ["macs", "flops", "params"])


@pytest.mark.parametrize("dims", [(0,), (0, 2, 2, 1), (1, 2, 3, 4)])
def test_permute_needs_a_permutation(dims):
    with pytest.raises(sc.SpecError, match="permutation"):
        sc.Permute(dims=dims)


def test_permute_must_fit_the_axes():
    with pytest.raises(sc.SpecError, match="does not fit"):
        sc.Permute(dims=(0, 2, 3, 1)).output_shape(sc.Shape(C=8))


def test_channel_chunk_takes_an_equal_part():
    assert sc.ChannelChunk(chunks=2, index=1).output_shape(sc.Shape(C=116, H=H, W=W)).C == 58
    with pytest.raises(sc.SpecError, match="chunks must divide"):
        sc.ChannelChunk(chunks=2, index=0).output_shape(sc.Shape(C=7, H=H, W=W))
    with pytest.raises(sc.SpecError, match="index 2 does not exist"):
        sc.ChannelChunk(chunks=2, index=2).output_shape(sc.Shape(C=8, H=H, W=W))
    cost = sc.ChannelChunk(chunks=2, index=0).cost(sc.Shape(C=C, H=H, W=W))
    with pytest.raises(sc.ConstraintError, match="chunks"):
        cost.evaluate(C=5, H=2, W=2)


def test_stochastic_depth_is_free_at_inference():
    cost = sc.StochasticDepth(p=0.2).cost(sc.Shape(C=C, H=H, W=W), "flops")
    assert (cost.flops, cost.params) == (0, 0)
    with pytest.raises(sc.SpecError, match="p"):
        sc.StochasticDepth(p=1.5)


def test_layer_scale_is_one_multiply_per_element_and_c_parameters():
    # ConvNeXt's layer_scale: a C×1×1 parameter broadcast over the map
    cost = sc.LayerScale(num_channels=C).cost(sc.Shape(N=N, C=C, H=H, W=W), "flops")
    assert cost.counts.mul == N * C * H * W
    assert cost.params == C
    with pytest.raises(sc.ShapeMismatchError, match="num_channels"):
        sc.LayerScale(num_channels=8).output_shape(sc.Shape(C=4, H=1, W=1))


@pytest.mark.parametrize("name", ["convnext_tiny", "shufflenet_v2_x1_0", "efficientnet_b0",
                                  "googlenet", "densenet121", "regnet_y_400mf"])
def test_zoo_networks_survive_json(name):
    entry = sc.zoo.get(name)
    net = entry.build()
    doc = sc.load_document(sc.dump(net, input=entry.input(multiple=False)))
    back, shape = doc.network, doc.input
    image = sc.Shape(C=3, H=224, W=224)
    assert back.cost(image, "flops").total.equals(net.cost(image, "flops").total)
    assert shape == entry.input(multiple=False)
