"""BatchNorm folding: the symbolic proof, the network transform and its costs, numeric weights.

Independent checks: the numeric folding is compared with an unfolded conv → BN computed by a
direct numpy convolution (itself checked against torch.nn.functional when torch is installed)
and with torch's own ``fuse_conv_bn_weights``; MobileNetV1's parameter
counts are recounted on a torch model built layer for layer from the paper's Table 1 and fused
with ``torch.nn.utils.fusion.fuse_conv_bn_eval``; the Keras figures 4,231,976 trainable +
21,888 non-trainable (keras.applications ``MobileNet(alpha=1.0)`` summary) give the same
before-folding totals.
"""

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcost as sc
from symcost import strategies as sst
from symcost.fold import fold_batchnorm, fold_bn_conv, fold_conv_bn, fold_proof

from .profiles import examples

np = pytest.importorskip("numpy")

IMAGE = sc.Shape(C=3, H=224, W=224)


# ----------------------------------------------------------------------------- the proof


@pytest.mark.parametrize("bias", [True, False])
def test_proof_difference_simplifies_to_zero(bias):
    proof = fold_proof(bias=bias)
    assert proof.holds and proof.difference == 0
    assert proof.steps[-1].rhs == 0


def test_proof_is_displayable_step_by_step():
    proof = fold_proof()
    md = proof._repr_markdown_()
    assert md.count("$$") == 2 * len(proof.steps)
    assert "\\gamma" in md and "\\sqrt{\\epsilon + \\sigma^{2}}" in md
    assert "holds for every input" in md
    assert proof._repr_latex_().startswith("$$\\begin{aligned}")
    assert "b' = beta + gamma*(b - mu)/sqrt(epsilon + sigma^2)" in str(proof)


def test_proof_without_bias_states_the_seed_bias():
    # the seed: b_new = beta - mean*gamma/sqrt(var + eps) when the layer had no bias
    proof = fold_proof(bias=False)
    s = proof.symbols
    bias_step = proof.steps[5]
    assert sympy.simplify(bias_step.rhs - (s["beta"] - s["mu"] * s["gamma"]
                                            / sympy.sqrt(s["var"] + s["eps"]))) == 0


def test_proof_rejects_a_non_bool():
    with pytest.raises(sc.SymcostError, match="bias must be True or False"):
        fold_proof(bias="yes")


def test_proof_detects_a_wrong_fold():
    """The proof machinery can fail: with a wrong bias (no β) the difference is not 0."""
    proof = fold_proof()
    s = proof.symbols
    assert sympy.expand(proof.difference + s["beta"]) != 0


# ----------------------------------------------------------------- the network transform


def _costs(net, shape, convention):
    return net.cost(shape, convention).total


def test_mobilenet_v1_folds_27_batchnorms_and_the_counts_match_keras():
    net = sc.zoo.mobilenet_v1()
    folded, report = fold_batchnorm(net)
    assert len(report.folded) == 27 and report.kept == ()
    before, after = _costs(net, IMAGE, "macs"), _costs(folded, IMAGE, "macs")
    assert before.params + before.buffers == 4_231_976 + 21_888  # Keras: trainable + non
    assert (before.params, after.params) == (4_231_976, 4_221_032)
    assert (before.buffers, after.buffers) == (21_888, 0)
    assert before.macs == after.macs == 568_740_352
    assert report.added_bias == 10_944
    assert not any(r.kind == "batchnorm2d" for r in folded.cost(IMAGE).rows)


def test_mobilenet_v1_counts_against_torch_fusion():
    """Recount with torch: MobileNetV1 built module for module, fused by torch itself."""
    torch = pytest.importorskip("torch")
    from torch import nn
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    from symcost.zoo.mobilenet import MOBILENET_V1_BLOCKS

    def unit(conv):
        return [conv, nn.BatchNorm2d(conv.out_channels), nn.ReLU()]

    mods = unit(nn.Conv2d(3, 32, 3, 2, 1, bias=False))
    c = 32
    for stride, out in MOBILENET_V1_BLOCKS:
        mods += unit(nn.Conv2d(c, c, 3, stride, 1, groups=c, bias=False))
        mods += unit(nn.Conv2d(c, out, 1, bias=False))
        c = out
    mods += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 1000)]
    model = nn.Sequential(*mods).eval()
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for n, b in model.named_buffers() if "num_batches" not in n)
    fused = []
    for m in mods:
        if isinstance(m, nn.BatchNorm2d):
            fused[-1] = fuse_conv_bn_eval(fused[-1], m)
        else:
            fused.append(m)
    fused_params = sum(p.numel() for p in nn.Sequential(*fused).parameters())
    before = _costs(sc.zoo.mobilenet_v1(), IMAGE, "macs")
    after = _costs(fold_batchnorm(sc.zoo.mobilenet_v1()).network, IMAGE, "macs")
    assert (params, buffers, fused_params) == (before.params, before.buffers, after.params)
    with torch.no_grad():
        x = torch.randn(1, 3, 64, 64)
        assert torch.allclose(model(x), nn.Sequential(*fused).eval()(x), atol=1e-4)


def _bn_totals(net, shape, convention):
    res = net.cost(shape, convention)
    rows = [r for r in res.rows if r.leaf and r.kind == "batchnorm2d"]
    return (sympy.Add(*(r.cost.params for r in rows)), sympy.Add(*(r.cost.buffers for r in rows)),
            {f"{r.path} ({r.kind})": r.cost.flops for r in rows})


@pytest.mark.parametrize("model", ["mobilenet_v1", "mobilenet_v2", "resnet18", "resnet50",
                                   "efficientnet_b0", "vgg11_bn", "shufflenet_v2_x0_5",
                                   "regnet_y_400mf", "densenet121"])
def test_folding_keeps_macs_and_moves_exactly_bn_into_biases(model):
    entry = sc.zoo.get(model)
    net, shape = entry.build(), entry.input()
    folded, report = fold_batchnorm(net)
    before, after = net.cost(shape, "flops").total, folded.cost(shape, "flops").total
    bn_params, bn_buffers, bn_flops = _bn_totals(net, shape, "flops")
    kept_params, kept_buffers, kept_flops = _bn_totals(folded, shape, "flops")
    assert len(report.kept) == len(kept_flops)
    assert len(report.folded) + len(report.kept) == len(bn_flops)
    # MACs unchanged; BN's params, buffers and FLOPs gone, one bias per output channel added
    assert sympy.expand(_costs(net, shape, "macs").macs - _costs(folded, shape, "macs").macs) \
        == 0
    assert sympy.expand(after.params - (before.params - bn_params + kept_params
                                        + report.added_bias)) == 0
    assert sympy.expand(after.buffers - (before.buffers - bn_buffers + kept_buffers)) == 0
    # under 'flops' a BN costs a multiply and an add per element; a layer that gains a bias
    # adds one per output element (= the BN's elements); a layer that had one adds nothing
    removed = sympy.Add(*(bn_flops[f.batchnorm] for f in report.folded))
    gained = sympy.Add(*(bn_flops[f.batchnorm] / 2 for f in report.folded if f.channels != 0))
    assert sympy.expand((before.flops - after.flops) - (removed - gained)) == 0


def test_densenet_keeps_its_pre_activation_batchnorms_with_reasons():
    net = sc.zoo.densenet121()
    _, report = fold_batchnorm(net)
    assert report.kept and report.folded
    assert all("follows" in k.reason or "first layer" in k.reason for k in report.kept)


def conv(c_in=4, c_out=4, **kw):
    return sc.Conv2d(in_channels=c_in, out_channels=c_out, kernel_size=3, padding=1,
                     bias=False, **kw)


def bn(c=4, **kw):
    return sc.BatchNorm2d(num_features=c, **kw)


def _only_kept(net):
    result = fold_batchnorm(net)
    assert result.report.folded == ()
    (kept,) = result.report.kept
    return kept


def test_conv_relu_bn_does_not_fold():
    kept = _only_kept(sc.Sequential([conv(), sc.ReLU(), bn()]))
    assert kept.batchnorm == "2 (batchnorm2d)"
    assert "1 (relu), which is not linear" in kept.reason
    assert "conv → relu → BN does not fold" in kept.reason


def test_bn_first_in_a_residual_branch_does_not_fold():
    net = sc.Sequential([conv(), sc.ReLU(), sc.Residual(body=sc.Sequential([bn(), conv()]))])
    kept = _only_kept(net)
    assert kept.batchnorm == "2.body.0 (batchnorm2d)"
    assert "first layer of the residual body of 2 (residual)" in kept.reason
    assert "the other branch also reads" in kept.reason
    assert "backward" in kept.reason


def test_bn_before_a_padded_conv_does_not_fold_backward():
    kept = _only_kept(sc.Sequential([bn(), conv()]))
    assert "first layer of the network" in kept.reason
    assert "Nor does it fold backward: 1 (conv2d) pads with zeros" in kept.reason
    # even when asked to
    assert fold_batchnorm(sc.Sequential([bn(), conv()]), backward=True).report.folded == ()


def test_bn_before_an_unpadded_conv_folds_backward_when_asked():
    net = sc.Sequential([bn(), sc.Conv2d(in_channels=4, out_channels=6, kernel_size=3,
                                         bias=False), sc.ReLU()])
    hint = _only_kept(net)
    assert "would fold backward into 1 (conv2d), which pads with nothing: pass " \
        "backward=True" in hint.reason
    folded, report = fold_batchnorm(net, backward=True)
    (done,) = report.folded
    assert (done.direction, done.into, done.channels) == ("backward", "1 (conv2d)", 6)
    assert "folded  0 (batchnorm2d) into 1 (conv2d) (backward): +6 bias" in str(report)
    assert [layer.kind for layer in folded.layers] == ["conv2d", "relu"]
    x = sc.Shape(C=4, H=7, W=7)
    assert folded.cost(x, "macs").total.macs == net.cost(x, "macs").total.macs
    assert folded.cost(x).total.params == net.cost(x).total.params - 8 + 6


def test_backward_folding_reaches_residual_branches_and_pointwise_layers():
    net = sc.Sequential([conv(), sc.ReLU(), sc.Residual(body=sc.Sequential([
        bn(), sc.PointwiseConv2d(in_channels=4, out_channels=4)]))])
    _, report = fold_batchnorm(net, backward=True)
    assert [f.into for f in report.folded] == ["2.body.1 (pointwise_conv2d)"]


def test_bn_without_running_stats_does_not_fold():
    kept = _only_kept(sc.Sequential([conv(), bn(track_running_stats=False)]))
    assert "track_running_stats=False" in kept.reason


def test_bn_after_transposed_conv_is_reported():
    net = sc.Sequential([sc.ConvTranspose2d(in_channels=4, out_channels=4, kernel_size=2,
                                            stride=2), bn()])
    assert "transposed convolution" in _only_kept(net).reason


def test_bn_after_a_pool_is_reported():
    assert "only Conv2d" in _only_kept(sc.Sequential([sc.AvgPool2d(kernel_size=2), bn()])).reason


def test_fold_reaches_into_every_container():
    block = sc.Sequential([conv(), bn(), sc.ReLU()])
    net = sc.Sequential([
        sc.Sequential([conv(3, 4), sc.Sequential([conv(), bn(name="inner")])]),  # nested tail
        sc.Residual(body=block, shortcut=sc.Sequential([conv(), bn()])),
        sc.Parallel([block, sc.Sequential([sc.PointwiseConv2d(in_channels=4, out_channels=2),
                                           bn(2)])]),
        sc.Repeat(n=3, body=sc.Sequential([sc.DepthwiseConv2d(in_channels=6, kernel_size=3,
                                                               padding=1), bn(6)])),
        sc.SeparableConv2d(in_channels=6, out_channels=6, kernel_size=3, padding=1), bn(6),
        sc.GlobalAvgPool2d(), sc.Flatten(), sc.Linear(in_features=6, out_features=5), bn(5),
    ])
    shape = sc.Shape(C=3, H=8, W=8)
    folded, report = fold_batchnorm(net)
    assert report.kept == ()
    assert len(report.folded) == 8
    assert [f.kind for f in report.folded].count("separable_conv2d") == 1
    assert folded.cost(shape, "macs").total.macs == net.cost(shape, "macs").total.macs
    # the Linear had a bias already: folding changes its values, not its parameter count
    assert report.folded[-1].channels == 0
    assert "bias updated" in report.lines()[-1]
    kinds = [r.kind for r in folded.cost(shape).rows if r.leaf]
    assert "batchnorm2d" not in kinds


def test_graph_folding_rewires_readers_and_refuses_shared_outputs():
    g = sc.Graph(nodes=[
        sc.GraphNode(name="conv", op=conv()),
        sc.GraphNode(name="bn", op=bn(), inputs=("conv",)),
        sc.GraphNode(name="relu", op=sc.ReLU(), inputs=("bn",)),
        sc.GraphNode(name="conv2", op=conv(), inputs=("relu",)),
        sc.GraphNode(name="bn2", op=bn(), inputs=("conv2",)),
        sc.GraphNode(name="add", op=sc.Add(), inputs=("bn2", "conv2")),
        sc.GraphNode(name="bn3", op=bn(), inputs=("input",)),
        sc.GraphNode(name="out", op=sc.Add(), inputs=("add", "bn3")),
    ])
    shape = sc.Shape(C=4, H=5, W=5)
    folded, report = fold_batchnorm(g)
    assert [f.batchnorm for f in report.folded] == ["bn (batchnorm2d)"]
    reasons = {k.batchnorm: k.reason for k in report.kept}
    assert "also read elsewhere" in reasons["bn2 (batchnorm2d)"]
    assert "reads the graph's input" in reasons["bn3 (batchnorm2d)"]
    assert [n.name for n in folded.nodes][:2] == ["conv", "relu"]
    assert folded.nodes[1].inputs == ("conv",)
    assert folded.cost(shape, "macs").total.macs == g.cost(shape, "macs").total.macs


def test_graph_folding_refuses_shared_weights():
    g = sc.Graph(nodes=[
        sc.GraphNode(name="conv", op=conv()),
        sc.GraphNode(name="bn", op=bn(), inputs=("conv",)),
        sc.GraphNode(name="again", op=conv(), inputs=("bn",), shares="conv"),
    ])
    assert "shares its weights" in _only_kept(g).reason


def test_fold_rejects_what_is_not_a_spec():
    with pytest.raises(sc.SymcostError, match="expected a layer or network spec"):
        fold_batchnorm("mobilenet_v1")


def test_result_unpacks_and_displays():
    result = fold_batchnorm(sc.zoo.mobilenet_v1())
    network, report = result
    assert network is result.network
    text = str(report)
    assert text.startswith("27 BatchNorm folded, 0 kept")
    assert "folded  conv1.bn (batchnorm2d) into conv1.conv (conv2d): +32 bias" in text
    assert "| BatchNorm | outcome |" in result._repr_markdown_()


# ---------------------------------------------------------------------- numeric weights


@st.composite
def conv_bn_cases(draw):
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, 3))
    c_out = groups * draw(st.integers(1, 3))
    k = draw(st.integers(1, 3))
    stride, dilation = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    padding = draw(st.integers(0, 2))
    size = dilation * (k - 1) + 1 + draw(st.integers(0, 4))
    bias = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    return dict(groups=groups, c_in=c_in, c_out=c_out, k=k, stride=stride, dilation=dilation,
                padding=padding, size=size, bias=bias, seed=seed)


def _random_conv_and_bn(case, bn_channels):
    """Random input, conv weights (and bias) for ``case``, and BN statistics over
    ``bn_channels`` channels (the conv's outputs folding forward, its inputs backward)."""
    rng = np.random.default_rng(case["seed"])
    g, c_in, c_out, k = case["groups"], case["c_in"], case["c_out"], case["k"]
    x = rng.normal(size=(2, c_in, case["size"], case["size"] + 1))
    w = rng.normal(size=(c_out, c_in // g, k, k))
    b = rng.normal(size=c_out) if case["bias"] else None
    bn = (rng.normal(size=bn_channels), rng.normal(size=bn_channels),
          rng.normal(size=bn_channels), rng.uniform(0.1, 3.0, size=bn_channels))
    return g, x, w, b, bn


def conv2d_ref(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1):
    """A direct grouped convolution in numpy (every window, every tap): the reference the
    folding checks use, so they run without torch; checked against torch below."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    c_out, per_group, k, _ = w.shape
    span = dilation * (k - 1) + 1
    windows = np.lib.stride_tricks.sliding_window_view(x, (span, span), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride, ::dilation, ::dilation]
    out_per_group = c_out // groups
    out = np.concatenate([
        np.einsum("nchwij,ocij->nohw", windows[:, g * per_group:(g + 1) * per_group],
                  w[g * out_per_group:(g + 1) * out_per_group]) for g in range(groups)], axis=1)
    return out if b is None else out + b[None, :, None, None]


def batch_norm_ref(x, mean, var, gamma, beta, eps=1e-5):
    """Inference BatchNorm over the channel axis, in numpy."""
    def c(v):
        return v[None, :, None, None]

    return (x - c(mean)) / np.sqrt(c(var) + eps) * c(gamma) + c(beta)


@settings(max_examples=30, deadline=None)
@given(conv_bn_cases())
def test_the_numpy_references_equal_torch(case):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    g, x, w, b, (gamma, beta, mean, var) = _random_conv_and_bn(case, case["c_out"])
    kw = dict(stride=case["stride"], padding=case["padding"], dilation=case["dilation"],
              groups=g)
    t = torch.from_numpy
    y = F.conv2d(t(x), t(w), None if b is None else t(b), **kw)
    assert np.allclose(conv2d_ref(x, w, b, **kw), y.numpy(), rtol=1e-10, atol=1e-10)
    z = F.batch_norm(y, t(mean), t(var), t(gamma), t(beta), training=False, eps=1e-5)
    assert np.allclose(batch_norm_ref(y.numpy(), mean, var, gamma, beta), z.numpy(),
                       rtol=1e-10, atol=1e-10)


def _assert_relative_error(out, ref, bound=1e-5):
    """Largest deviation relative to the largest reference value: at most ``bound``."""
    err = np.max(np.abs(out - ref)) / max(np.max(np.abs(ref)), 1e-12)
    assert err <= bound, err


def _check_conv_bn(case):
    g, x, w, b, (gamma, beta, mean, var) = _random_conv_and_bn(case, case["c_out"])
    eps = 1e-5
    kw = dict(stride=case["stride"], padding=case["padding"], dilation=case["dilation"],
              groups=g)
    ref = batch_norm_ref(conv2d_ref(x, w, b, **kw), mean, var, gamma, beta, eps)
    wf, bf = fold_conv_bn(w, b, gamma, beta, mean, var, eps)
    out = conv2d_ref(x, wf, bf, **kw)
    assert wf.dtype == np.float64 and wf.shape == w.shape and bf.shape == (case["c_out"],)
    _assert_relative_error(out, ref)
    try:  # and the same weights as torch's own fusion, when torch is installed
        import torch
        from torch.nn.utils.fusion import fuse_conv_bn_weights
    except ImportError:
        return
    t = torch.from_numpy
    tw, tb = fuse_conv_bn_weights(t(w), None if b is None else t(b), t(mean), t(var), eps,
                                  t(gamma), t(beta))
    assert np.allclose(tw.detach().numpy(), wf, rtol=1e-12, atol=1e-12)
    assert np.allclose(tb.detach().numpy(), bf, rtol=1e-12, atol=1e-12)


@pytest.mark.property
@settings(max_examples=examples(40, 300))
@given(conv_bn_cases())
def test_folded_conv_equals_conv_then_bn(case):
    _check_conv_bn(case)


def test_fold_linear_and_depthwise_weights_with_numpy_only():
    rng = np.random.default_rng(0)
    w, b = rng.normal(size=(5, 3)), rng.normal(size=5)
    gamma, beta, mean = rng.normal(size=5), rng.normal(size=5), rng.normal(size=5)
    var = rng.uniform(0.5, 2, size=5)
    x = rng.normal(size=(7, 3))
    ref = (x @ w.T + b - mean) / np.sqrt(var + 1e-3) * gamma + beta
    wf, bf = fold_conv_bn(w, b, gamma, beta, mean, var, eps=1e-3)
    assert np.allclose(x @ wf.T + bf, ref, rtol=1e-12)
    # affine=False: gamma 1, beta 0
    wf, bf = fold_conv_bn(w, None, None, None, mean, var)
    assert np.allclose(x @ wf.T + bf, (x @ w.T - mean) / np.sqrt(var + 1e-5), rtol=1e-12)


@pytest.mark.parametrize("kwargs, words", [
    (dict(weight=np.ones(3)), "at least 2 axes"),
    (dict(gamma=np.ones(3)), "gamma must have one value per channel, shape (4,)"),
    (dict(var=-np.ones(4)), "var + eps must be positive"),
    (dict(mean=None), "mean and var are required"),
])
def test_fold_conv_bn_errors_name_the_argument(kwargs, words):
    args = dict(weight=np.ones((4, 2, 3, 3)), bias=None, gamma=np.ones(4), beta=np.zeros(4),
                mean=np.zeros(4), var=np.ones(4))
    args.update(kwargs)
    with pytest.raises(sc.SymcostError) as info:
        fold_conv_bn(**args)
    assert words in str(info.value)


FOLD_KINDS = ["conv2d", "depthwise_conv2d", "pointwise_conv2d", "separable_conv2d", "linear",
              "batchnorm2d", "relu", "max_pool2d", "conv_transpose2d", "flatten"]


@settings(max_examples=40, deadline=None)
@given(sst.networks(input=sc.Shape(C=3, H=8, W=8), max_layers=6, kinds=FOLD_KINDS),
       st.booleans())
def test_folding_random_networks_moves_exactly_bn_into_biases(net, backward):
    x = sc.Shape(C=3, H=8, W=8)
    folded, report = fold_batchnorm(net, x, backward=backward)
    before, after = net.cost(x, "flops"), folded.cost(x, "flops")
    bns = [r for r in before.rows if r.leaf and r.kind == "batchnorm2d"]
    left = [r for r in after.rows if r.leaf and r.kind == "batchnorm2d"]
    assert len(report.folded) + len(report.kept) == len(bns)
    assert len(left) == len(report.kept)
    assert before.total.counts.mac == after.total.counts.mac
    assert after.total.params == (before.total.params - sum(r.cost.params for r in bns)
                                  + sum(r.cost.params for r in left) + report.added_bias)
    assert after.total.buffers == sum(r.cost.buffers for r in left) + \
        before.total.buffers - sum(r.cost.buffers for r in bns)


def test_linear_on_a_feature_map_does_not_fold():
    """BN normalises channels; a Linear on a map mixes the W axis, so no per-channel factor
    can enter its weights. Detected by the sizes, or by the input shape when they match."""
    mismatch = sc.Sequential([sc.Linear(in_features=5, out_features=3), bn(4)])
    assert "acts on the last axis of a feature map" in _only_kept(mismatch).reason
    same_size = sc.Sequential([sc.Linear(in_features=5, out_features=4), bn(4)])
    _, report = fold_batchnorm(same_size, sc.Shape(C=4, H=2, W=5))
    assert report.folded == () and "feature map" in report.kept[0].reason
    assert len(fold_batchnorm(same_size).report.folded) == 1  # without a shape: by sizes only
    vector = sc.Sequential([sc.Flatten(), sc.Linear(in_features=40, out_features=4), bn(4)])
    assert len(fold_batchnorm(vector, sc.Shape(C=4, H=2, W=5)).report.folded) == 1



def _check_bn_conv(case):
    """BN then an unpadded (grouped) conv equals the conv with fold_bn_conv's weights."""
    g, x, w, b, (gamma, beta, mean, var) = _random_conv_and_bn(case, case["c_in"])
    kw = dict(stride=case["stride"], dilation=case["dilation"], groups=g)
    ref = conv2d_ref(batch_norm_ref(x, mean, var, gamma, beta), w, b, **kw)
    wf, bf = fold_bn_conv(w, b, gamma, beta, mean, var, groups=g)
    out = conv2d_ref(x, wf, bf, **kw)
    _assert_relative_error(out, ref)


@pytest.mark.property
@settings(max_examples=examples(30, 200))
@given(conv_bn_cases())
def test_backward_folded_conv_equals_bn_then_conv(case):
    _check_bn_conv(case)


def test_backward_folding_is_not_exact_with_zero_padding():
    """Why the transform refuses padded layers: the border outputs differ."""
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(1, 3, 5, 5)), rng.normal(size=(2, 3, 3, 3))
    gamma, beta, mean, var = (rng.normal(size=3), rng.normal(size=3), rng.normal(size=3),
                              rng.uniform(0.5, 2, size=3))
    ref = conv2d_ref(batch_norm_ref(x, mean, var, gamma, beta), w, padding=1)
    wf, bf = fold_bn_conv(w, None, gamma, beta, mean, var)
    out = conv2d_ref(x, wf, bf, padding=1)
    assert np.allclose(out[..., 1:-1, 1:-1], ref[..., 1:-1, 1:-1])  # interior: exact
    assert not np.allclose(out, ref)  # border: not


def test_fold_bn_conv_linear_and_errors():
    rng = np.random.default_rng(2)
    w, b = rng.normal(size=(5, 3)), rng.normal(size=5)
    gamma, beta, mean = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)
    var = rng.uniform(0.5, 2, size=3)
    x = rng.normal(size=(7, 3))
    ref = ((x - mean) / np.sqrt(var + 1e-5) * gamma + beta) @ w.T + b
    wf, bf = fold_bn_conv(w, b, gamma, beta, mean, var)
    assert np.allclose(x @ wf.T + bf, ref, rtol=1e-12)
    with pytest.raises(sc.SymcostError, match="groups must be a positive int dividing the 5"):
        fold_bn_conv(w, b, gamma, beta, mean, var, groups=2)
    with pytest.raises(sc.SymcostError, match="gamma must have one value per channel, "
                                              "shape \\(3,\\)"):
        fold_bn_conv(w, b, gamma[:2], beta, mean, var)
