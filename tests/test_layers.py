"""Every layer kind: golden closed forms (table-driven) and counts against the brute-force
counter in tests/oracle.py (independent loops, not the formulas)."""

import itertools

import pydantic
import pytest
import sympy

import symcost as sc
from symcost.spec import LAYER_TYPES

from . import oracle

N, C, C2, K, H, W, L, T = sc.dims("N C C2 K H W L T")
MAP = sc.Shape(N=N, C=C, H=H, W=W)
SEQ1D = sc.Shape(N=N, C=C, L=L)
VIDEO = sc.Shape(N=N, C=C, T=T, H=H, W=W)
E = N * C * H * W  # elements of MAP
SEQ = sc.Shape(N=N, L=L, D=C)  # a sequence: N × L positions of width C
R = N * L  # rows of SEQ

# (layer, input, expected census entries (others zero), expected params)
GOLDEN = [
    (sc.Conv2d(in_channels=C, out_channels=C2, kernel_size=K, padding="same", bias=False), MAP,
     {"mac": N * C2 * H * W * C * K**2, "dot": N * C2 * H * W}, C2 * C * K**2),
    (sc.Conv2d(in_channels=C, out_channels=C2, kernel_size=1), MAP,
     {"mac": N * C2 * H * W * C, "dot": N * C2 * H * W, "bias": N * C2 * H * W},
     C2 * C + C2),
    (sc.DepthwiseConv2d(in_channels=C, kernel_size=3, padding=1, depth_multiplier=2), MAP,
     {"mac": N * 2 * C * H * W * 9, "dot": N * 2 * C * H * W}, 2 * C * 9),
    (sc.PointwiseConv2d(in_channels=C, out_channels=C2, bias=True), MAP,
     {"mac": N * H * W * C * C2, "dot": N * H * W * C2, "bias": N * H * W * C2}, C * C2 + C2),
    (sc.ConvTranspose2d(in_channels=C, out_channels=C2, kernel_size=K, stride=2), MAP,
     {"mac": N * H * W * C * C2 * K**2, "bias": N * C2 * (2 * H + K - 2) * (2 * W + K - 2)},
     C * C2 * K**2 + C2),
    (sc.MaxPool2d(kernel_size=2), sc.Shape(N=N, C=C, H=2 * H, W=2 * W),
     {"cmp": 3 * N * C * H * W}, 0),
    (sc.AvgPool2d(kernel_size=3, stride=1, padding=1), MAP, {"add": 8 * E, "div": E}, 0),
    (sc.GlobalAvgPool2d(), MAP, {"add": N * C * (H * W - 1), "div": N * C}, 0),
    (sc.GlobalMaxPool2d(), MAP, {"cmp": N * C * (H * W - 1)}, 0),
    (sc.AdaptiveAvgPool2d(output_size=2), sc.Shape(N=N, C=C, H=2 * H, W=2 * W),
     {"add": 4 * N * C * (H * W - 1), "div": 4 * N * C}, 0),
    (sc.ReLU(), MAP, {"cmp": E}, 0),
    (sc.ReLU6(), MAP, {"cmp": 2 * E}, 0),
    (sc.LeakyReLU(), MAP, {"cmp": E, "mul": E}, 0),
    (sc.PReLU(num_parameters=C), MAP, {"cmp": E, "mul": E}, C),
    (sc.ELU(), MAP, {"cmp": E, "exp": E, "add": E, "mul": E}, 0),
    (sc.Sigmoid(), MAP, {"mul": E, "exp": E, "add": E, "div": E}, 0),
    (sc.Tanh(), MAP, {"mul": E, "exp": E, "add": 2 * E, "div": E}, 0),
    (sc.SiLU(), MAP, {"mul": 2 * E, "exp": E, "add": E, "div": E}, 0),
    (sc.Hardsigmoid(), MAP, {"add": E, "cmp": 2 * E, "mul": E}, 0),
    (sc.Hardswish(), MAP, {"add": E, "cmp": 2 * E, "mul": 2 * E}, 0),
    (sc.GELU(), MAP, {"mul": 3 * E, "add": E, "erf": E}, 0),
    (sc.GELU(approximate="tanh"), MAP, {"mul": 7 * E, "add": 4 * E, "exp": E, "div": E}, 0),
    (sc.Softmax(), MAP, {"exp": E, "add": N * H * W * (C - 1), "div": E}, 0),
    (sc.Linear(in_features=C, out_features=C2), sc.Shape(N=N, C=C),
     {"mac": N * C * C2, "dot": N * C2, "bias": N * C2}, C * C2 + C2),
    (sc.BatchNorm2d(num_features=C), MAP, {"mul": E, "add": E}, 2 * C),
    (sc.Flatten(), MAP, {}, 0),
    (sc.Identity(), MAP, {}, 0),
    (sc.Dropout(p=0.1), MAP, {}, 0),
    (sc.ChannelShuffle(groups=1), MAP, {}, 0),
    (sc.Upsample(scale_factor=2, mode="bilinear"), MAP,
     {"mul": 16 * E, "add": 12 * E}, 0),
    (sc.Upsample(scale_factor=2), MAP, {}, 0),
    (sc.SeparableConv2d(in_channels=C, out_channels=C2, kernel_size=3, padding=1), MAP,
     {"mac": N * H * W * C * (9 + C2), "dot": N * H * W * (C + C2)}, 9 * C + C * C2),
    (sc.Custom(counts={"mac": "N*C*H*W*7"}, params=5), MAP, {"mac": 7 * E}, 5),
    # overlapping adaptive windows: 8 -> 6 reads 2 rows per cell, 12 of them per axis
    (sc.AdaptiveAvgPool2d(output_size=6), sc.Shape(N=N, C=C, H=8, W=8),
     {"add": N * C * (144 - 36), "div": 36 * N * C}, 0),
    (sc.LayerNorm(normalized_shape=C), sc.Shape(N=N, C=C),
     {"add": N * (4 * C - 1), "mul": 3 * N * C, "div": 3 * N, "sqrt": N}, 2 * C),
    (sc.LayerNorm2d(num_channels=C, elementwise_affine=False), MAP,
     {"add": N * H * W * (3 * C - 1), "mul": 2 * E, "div": 3 * N * H * W, "sqrt": N * H * W},
     0),
    (sc.LayerScale(num_channels=C), MAP, {"mul": E}, C),
    (sc.Permute(dims=(0, 2, 3, 1)), MAP, {}, 0),
    (sc.ChannelChunk(chunks=2, index=1), sc.Shape(N=N, C=2 * C, H=H, W=W), {}, 0),
    (sc.StochasticDepth(p=0.1), MAP, {}, 0),
    # 1-D and 3-D windows: L (and T) outputs by torch's size rule, counted by hand
    (sc.Conv1d(in_channels=C, out_channels=C2, kernel_size=K, padding="same", bias=False),
     SEQ1D, {"mac": N * C2 * L * C * K, "dot": N * C2 * L}, C2 * C * K),
    (sc.Conv3d(in_channels=C, out_channels=C2, kernel_size=(1, 3, 3), padding=(0, 1, 1)),
     VIDEO, {"mac": N * C2 * T * H * W * C * 9, "dot": N * C2 * T * H * W,
             "bias": N * C2 * T * H * W}, C2 * C * 9 + C2),
    (sc.MaxPool1d(kernel_size=2), sc.Shape(N=N, C=C, L=2 * L), {"cmp": N * C * L}, 0),
    (sc.MaxPool3d(kernel_size=2), sc.Shape(N=N, C=C, T=2 * T, H=2 * H, W=2 * W),
     {"cmp": 7 * N * C * T * H * W}, 0),
    (sc.AvgPool1d(kernel_size=3, stride=1, padding=1), SEQ1D,
     {"add": 2 * N * C * L, "div": N * C * L}, 0),
    (sc.AvgPool3d(kernel_size=2), sc.Shape(N=N, C=C, T=2 * T, H=2 * H, W=2 * W),
     {"add": 7 * N * C * T * H * W, "div": N * C * T * H * W}, 0),
    (sc.AdaptiveAvgPool1d(output_size=1), SEQ1D, {"add": N * C * (L - 1), "div": N * C}, 0),
    (sc.Rearrange(pattern="n l (h d) -> n h l d", sizes={"h": 4}),
     sc.Shape(N=N, L=L, D=4 * C), {}, 0),
    (sc.Reshape(axes={"N": "N", "C": "C", "L": "H*W"}), MAP, {}, 0),
    # ---- sequences (N, L, C): R = N·L rows of width C, derived by hand from each kind's
    # definition (not from symcost's helpers)
    # a lookup copies rows: no arithmetic; the table is V×d (torch.nn.Embedding.weight)
    (sc.Embedding(num_embeddings=K, embedding_dim=C), sc.Shape(N=N, L=L), {}, K * C),
    # row t of an L×C table added to position t: one add per element
    (sc.PositionalEmbedding(num_positions=L, embedding_dim=C), SEQ,
     {"add": R * C}, L * C),
    # a pair (a, b) → (a·cos − b·sin, a·sin + b·cos): 4 mul + 2 add per pair of elements
    (sc.RotaryEmbedding(dim=C), SEQ, {"mul": 2 * R * C, "add": R * C}, 0),
    (sc.RotaryEmbedding(dim=C, rotary_dim=2), SEQ, {"mul": 4 * R, "add": 2 * R}, 0),
    # per row: C squares, C − 1 adds, ÷C, +ε, √, 1/√, x·r (C mul), ·w (C mul)
    (sc.RMSNorm(normalized_shape=C), SEQ,
     {"mul": 3 * R * C, "add": R * C, "div": 2 * R, "sqrt": R}, C),
    # fc1 (C→C2, bias), GELU on R·C2 values (mul 3, add 1, erf 1 each, as its row above),
    # fc2 (C2→C, bias)
    (sc.MLP(d_model=C, d_ff=C2), SEQ,
     {"mac": 2 * R * C * C2, "dot": R * (C2 + C), "bias": R * (C2 + C),
      "mul": 3 * R * C2, "add": R * C2, "erf": R * C2}, 2 * C * C2 + C2 + C),
    # gate and up (C→C2), SiLU on R·C2 (mul 2, exp, add, div each), the gating multiply,
    # down (C2→C); no bias (LLaMA)
    (sc.GatedMLP(d_model=C, d_ff=C2), SEQ,
     {"mac": 3 * R * C * C2, "dot": R * (2 * C2 + C), "mul": 3 * R * C2, "exp": R * C2,
      "add": R * C2, "div": R * C2}, 3 * C * C2),
    # Mixtral's routing, 8 experts, top 2: router C→8 (no bias); softmax over 8 (8 exp,
    # 7 add, 8 div) and top-2 by two max passes over 8 (2·7 cmp), renormalising the two
    # weights (1 add, 2 div); the gated expert on 2R rows (the row above with R → 2R);
    # combine: 2 mul and 1 add per output feature. params: router 8C + 8 experts of 3·C·C2
    (sc.MoE(num_experts=8, top_k=2, expert=sc.GatedMLP(d_model=C, d_ff=C2)), SEQ,
     {"mac": 8 * R * C + 6 * R * C * C2, "dot": 8 * R + 2 * R * (2 * C2 + C),
      "exp": 8 * R + 2 * R * C2, "add": 8 * R + 2 * R * C2 + R * C,
      "div": 10 * R + 2 * R * C2, "cmp": 14 * R, "mul": 6 * R * C2 + 2 * R * C},
     8 * C + 24 * C * C2),
    # d = 8, 2 query heads of 4, 1 key/value head (multi-query), causal, no bias: q 8→8,
    # k and v 8→4, out 8→8 (192 MACs and 24 dots per row). Core per batch element and head:
    # query i scores keys 0..i, L(L+1)/2 pairs; 2 heads give kept = N·L(L+1) pairs, each a
    # 4-term score dot, ×1/√4, exp, ÷sum, and 4 value dots over its keys (4 MACs per pair
    # plus 8 dots per query); a softmax of n terms sums with n − 1 adds
    (sc.MultiheadAttention(embed_dim=8, num_heads=2, num_kv_heads=1, bias=False,
                           mask="causal"), sc.Shape(N=N, L=L, D=8),
     {"mac": 192 * N * L + 8 * N * L * (L + 1), "dot": 32 * N * L + N * L * (L + 1),
      "mul": N * L * (L + 1), "exp": N * L * (L + 1), "div": N * L * (L + 1),
      "add": N * L * (L - 1)}, 192),
    # d = 8, 2 heads, T = 8, window 3 (own position included): queries keep 1, 2, 3, 3, 3,
    # 3, 3, 3 keys = 21 pairs per head, 42N in all; 4 projections 8→8 (512N MACs, 64N dots
    # each); rotary on q and k, 8·(2 + 2)·4 = 128N values (2 mul, 1 add each)
    (sc.MultiheadAttention(embed_dim=8, num_heads=2, bias=False, mask=("sliding", 3),
                           rotary=True), sc.Shape(N=N, L=8, D=8),
     {"mac": 2048 * N + 42 * 8 * N, "dot": 256 * N + 42 * N + 64 * N,
      "mul": 256 * N + 42 * N, "add": 128 * N + 42 * N - 16 * N, "exp": 42 * N,
      "div": 42 * N}, 256),
    # a tied output projection (GPT-2's lm_head): the work is here, the weights are the
    # embedding's
    (sc.Linear(in_features=C, out_features=K, bias=False, tied=True), SEQ,
     {"mac": R * C * K, "dot": R * K}, 0),
]


def test_kept_pairs_by_hand():
    """Pairs counted query by query. Chunks of 4 over T = 10 are 4, 4, 2 long: 10 + 10 + 3.
    A prefix of 5 cached positions before T = 3 new ones: queries see 6, 7, 8 keys."""
    assert sc.kept_pairs(("chunked", 4), 10, 10)[0] == 23
    assert sc.kept_pairs(("prefix", 5), 3, 8)[0] == 21
    assert sc.kept_pairs(("sliding", 3), 2, 2)[0] == 3  # T < W: causal, 1 + 2
    assert sc.kept_pairs("none", 3, 7)[0] == 21


@pytest.mark.parametrize("layer, shape, expected, params", GOLDEN,
                         ids=[f"{g[0].kind}-{i}" for i, g in enumerate(GOLDEN)])
def test_golden_census(layer, shape, expected, params):
    cost = layer.cost(shape, "flops")
    for op, value in cost.counts.items():
        assert sympy.expand(value - expected.get(op, 0)) == 0, (op, value)
    assert sympy.expand(cost.params - params) == 0


def test_every_layer_kind_has_a_golden_row():
    covered = {type(g[0]) for g in GOLDEN}
    assert set(LAYER_TYPES) <= covered, set(LAYER_TYPES) - covered


# ---------------------------------------------------------------- brute-force agreement

CONV_CASES = [c for c in itertools.product([1, 2], [1, 2, 4], [2, 4], [1, 3], [1, 2],
                                           [0, 1], [1, 2], [False, True])
              if c[2] % c[1] == 0]  # groups must divide the output channels


@pytest.mark.parametrize("n, groups, c_out, k, stride, padding, dilation, bias",
                         CONV_CASES[::3])
def test_conv_counts_match_brute_force(n, groups, c_out, k, stride, padding, dilation, bias):
    c_in, h, w = 4, 7, 6
    layer = sc.Conv2d(in_channels=c_in, out_channels=c_out, kernel_size=k, stride=stride,
                      padding=padding, dilation=dilation, groups=groups, bias=bias)
    shape = sc.Shape(N=n, C=c_in, H=h, W=w)
    expected = oracle.conv2d(n, c_in, h, w, c_out, k, stride, padding, dilation, groups, bias)
    if expected["H"] == 0 or expected["W"] == 0:
        with pytest.raises(sc.SpecError):
            layer.cost(shape)
        return
    cost = layer.cost(shape, "flops")
    out = layer.output_shape(shape)
    assert (out.H, out.W) == (expected["H"], expected["W"])
    assert (cost.counts.mac, cost.counts.dot, cost.counts.bias) == (
        expected["mac"], expected["dot"], expected["bias"])


def test_depthwise_and_pointwise_agree_with_brute_force_grouped_conv():
    dw = sc.DepthwiseConv2d(in_channels=4, kernel_size=3, stride=2, padding=1,
                            depth_multiplier=2)
    shape = sc.Shape(N=2, C=4, H=9, W=8)
    expected = oracle.conv2d(2, 4, 9, 8, 8, 3, 2, 1, 1, 4)
    assert dw.cost(shape).counts.mac == expected["mac"]
    pw = sc.PointwiseConv2d(in_channels=4, out_channels=6)
    assert pw.cost(shape).counts.mac == oracle.conv2d(2, 4, 9, 8, 6, 1)["mac"]


@pytest.mark.parametrize("k, stride, groups", [(2, 2, 1), (3, 2, 2), (4, 2, 1), (3, 1, 4)])
def test_transposed_conv_counts_match_scatter(k, stride, groups):
    layer = sc.ConvTranspose2d(in_channels=4, out_channels=8, kernel_size=k, stride=stride,
                               groups=groups)
    expected = oracle.conv_transpose2d(1, 4, 5, 3, 8, k, stride, groups)
    assert layer.cost(sc.Shape(C=4, H=5, W=3)).counts.mac == expected["mac"]
    assert layer.output_shape(sc.Shape(C=4, H=5, W=3)).H == expected["H"]


@pytest.mark.parametrize("kind, k, stride, padding, ceil_mode", [
    ("max", 2, 2, 0, False), ("max", 3, 2, 1, True), ("avg", 3, 2, 1, False),
    ("avg", 2, 2, 0, True), ("max", 3, 3, 1, True)])
def test_pool_counts_match_brute_force(kind, k, stride, padding, ceil_mode):
    cls = sc.MaxPool2d if kind == "max" else sc.AvgPool2d
    layer = cls(kernel_size=k, stride=stride, padding=padding, ceil_mode=ceil_mode)
    for h, w in [(7, 5), (8, 9), (5, 5)]:
        expected = oracle.pool2d(2, 3, h, w, k, stride, padding, ceil_mode, kind)
        counts = layer.cost(sc.Shape(N=2, C=3, H=h, W=w)).counts
        assert (counts.cmp, counts.add, counts.div) == (
            expected["cmp"], expected["add"], expected["div"])


@pytest.mark.parametrize("rows_shape, bias", [((2, 3), True), ((1, 5), False)])
def test_linear_counts_match_brute_force(rows_shape, bias):
    n, fin = rows_shape
    layer = sc.Linear(in_features=fin, out_features=4, bias=bias)
    counts = layer.cost(sc.Shape(N=n, C=fin)).counts
    expected = oracle.linear(n, fin, 4, bias)
    assert (counts.mac, counts.dot, counts.bias) == (
        expected["mac"], expected["dot"], expected["bias"])


def test_linear_on_a_feature_map_acts_on_the_last_axis():
    # torch.nn.Linear(64, 128) on a (2, 10, 64) tensor: 20 rows
    layer = sc.Linear(in_features=64, out_features=128)
    cost = layer.cost(sc.Shape(N=2, C=10, H=1, W=64), "macs")
    assert cost.macs == 163_840
    assert layer.output_shape(sc.Shape(N=2, C=10, H=1, W=64)).W == 128


def test_softmax_axis_choice():
    s = sc.Shape(C=3, H=4, W=5)
    assert sc.Softmax(dim=-1).cost(s, "flops").counts.add == 3 * 4 * 4
    with pytest.raises(sc.SpecError, match="axis"):
        sc.Softmax(dim=0).cost(s)


def test_custom_without_counts_is_uncosted_not_zero():
    net = sc.Sequential([sc.ReLU(), sc.Custom(label="mystery")])
    result = net.cost(sc.Shape(C=3, H=4, W=4))
    assert result.uncosted and result.uncosted[0][0] == "1"
    assert "mystery" in result.uncosted[0][1]
    assert "UNCOSTED" in result.to_text()


def test_layer_specs_are_frozen_and_hashable():
    conv = sc.Conv2d(in_channels=3, out_channels=8, kernel_size=3)
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        conv.in_channels = 4
    assert hash(conv) == hash(sc.Conv2d(in_channels=3, out_channels=8, kernel_size=3))
