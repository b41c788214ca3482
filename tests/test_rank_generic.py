"""Issue 11: shapes of any rank, one census for convolutions and pools of any rank, and
presets that state a rule for every operation family.

Independent references: closed forms counted by hand from the definitions (a dot product of
length k per output, n − 1 additions per row of n), the brute-force executor
(tests/executor.py, checked against torch.nn.functional), and torch's FlopCounterMode on the
same modules imported with from_torch.
"""

import pytest
import sympy

import symcost as sc
from symcost.conventions import convention_names, get_convention
from symcost.counts import FAMILIES
from symcost.spec import LAYER_TYPES, MERGE_TYPES

from .executor import run

B, T, S, d, d2, C, L, H, W = sc.dims("B T S d d2 C L H W")
SEQ = sc.Shape(N=B, L=T, D=d)


# ----------------------------------------------------------------------------- shapes


def test_a_shape_keeps_its_axes_in_the_order_given():
    assert SEQ.names == ("N", "L", "D") and SEQ.sizes == (B, T, d)
    assert sc.Shape(N=B, L=T).rank == 2 and sc.Shape(C=C, L=L).names == ("N", "C", "L")
    video = sc.Shape(C=3, T=T, H=H, W=W)
    assert video.rank == 5 and video.spatial_sizes == (T, H, W) and video.elements == 3*T*H*W
    # the CNN accessors keep working; a missing axis is None
    x = sc.Shape(C=3, H=H, W=W)
    assert (x.N, x.C, x.H, x.W, x.spatial) == (1, 3, H, W, H * W)
    assert sc.Shape(C=1024).H is None and SEQ.C is None and SEQ.L == T


@pytest.mark.parametrize("axes, words", [
    (dict(C=3, H=4), ["needs both H and W", "W"]),   # a half map used to pass as 3 elements
    (dict(C=3, W=4), ["needs both H and W", "H"]),
    (dict(N=2), ["at least one axis"]),
    (dict(C=0), ["C", "positive"]),
])
def test_malformed_shapes_are_refused_with_the_axis_named(axes, words):
    with pytest.raises(sc.SpecError) as err:
        sc.Shape(**axes)
    for word in words:
        assert word in str(err.value)


def test_flatten_before_a_conv_says_a_feature_map_is_needed():
    net = sc.Sequential([sc.Flatten(), sc.Conv2d(in_channels=48, out_channels=4,
                                                 kernel_size=1)])
    with pytest.raises(sc.ShapeMismatchError, match="needs a feature map N×C×H×W"):
        net.cost(sc.Shape(C=3, H=4, W=4))


# ------------------------------------------------------------------------- sequences


def test_a_sequence_feeds_linear_layer_norm_softmax_and_matmul():
    """Closed forms counted by hand: B·T rows of d features."""
    rows = B * T
    linear = sc.Linear(in_features=d, out_features=d2, bias=False).cost(SEQ, "flops")
    assert sympy.expand(linear.counts.mac - rows * d * d2) == 0
    assert sc.Linear(in_features=d, out_features=d2).output_shape(SEQ) == \
        sc.Shape(N=B, L=T, D=d2)
    ln = sc.LayerNorm(normalized_shape=d).cost(SEQ, "flops")
    assert sympy.expand(ln.counts.sqrt - rows) == 0 and ln.params == 2 * d
    sm = sc.Softmax(dim=-1).cost(SEQ, "flops")
    assert sympy.expand(sm.counts.add - rows * (d - 1)) == 0
    # attention scores: (B, T, d) @ (B, d, S) — T·S dot products of length d per sample
    scores, census, _ = sc.MatMul().combine([SEQ, sc.Shape(N=B, D=d, S=S)], "scores")
    assert scores.sizes == (B, T, S) and census.family == "bmm"
    assert sympy.expand(census.ops.mac - B * T * S * d) == 0


def test_a_positional_table_broadcasts_over_the_batch():
    out, census, constraints = sc.Add().combine([SEQ, sc.Shape.of([("L", T), ("D", d)])],
                                                "add")
    assert out == SEQ and census.ops.add == B * T * d and constraints == []


def test_a_sequence_network_matches_the_executor():
    net = sc.Sequential([sc.LayerNorm(normalized_shape=6), sc.Linear(in_features=6,
                                                                     out_features=8),
                         sc.GELU(), sc.Linear(in_features=8, out_features=6),
                         sc.Softmax(dim=-1)])
    x = sc.Shape(N=2, L=5, D=6)
    counts = {k: int(v) for k, v in net.cost(x, "flops").total.counts.items() if v != 0}
    assert run(net, x)[1] == counts


def test_rearrange_splits_heads_and_reshape_turns_a_map_into_tokens():
    heads = sc.Rearrange(pattern="b t (h e) -> b h t e", sizes={"h": 4})
    assert heads.output_shape(sc.Shape(N=B, L=T, D=64)).sizes == (B, 4, T, 16)
    tokens = sc.Reshape(axes={"N": 1, "C": 8, "L": H * W})
    assert tokens.output_shape(sc.Shape(C=8, H=H, W=W)) == sc.Shape(C=8, L=H * W)
    with pytest.raises(sc.SpecError, match="keeps the number of elements"):
        sc.Reshape(axes={"N": 1, "C": 5}).cost(sc.Shape(C=8, H=1, W=1))
    with pytest.raises(sc.SpecError, match="the two sides name different axes"):
        sc.Rearrange(pattern="a b -> a c")
    with pytest.raises(sc.SpecError, match="divide"):
        heads.cost(sc.Shape(N=1, L=2, D=10))


# ------------------------------------------------------------- any-rank convolutions


@pytest.mark.parametrize("layer, shape, macs", [
    # k MACs per output element, C_in/g inputs each: counted by hand
    (sc.Conv1d(in_channels=C, out_channels=2 * C, kernel_size=5, stride=2, padding=2,
               bias=False), sc.Shape(C=C, L=2 * L), 2 * C * C * 5 * L),
    (sc.Conv3d(in_channels=4, out_channels=8, kernel_size=(1, 3, 3), padding=(0, 1, 1),
               groups=2, bias=False), sc.Shape(C=4, T=T, H=H, W=W), 8 * T * H * W * 2 * 9),
])
def test_convolutions_of_any_rank_have_the_grouped_census(layer, shape, macs):
    assert sympy.expand(layer.cost(shape, "macs").macs - macs) == 0


def test_a_per_axis_tuple_must_fit_the_rank():
    with pytest.raises(sc.SpecError, match="needs one size or 3"):
        sc.Conv3d(in_channels=1, out_channels=1, kernel_size=(3, 3))
    with pytest.raises(sc.ShapeMismatchError, match="rank 3"):
        sc.Conv1d(in_channels=3, out_channels=1, kernel_size=3).cost(sc.Shape(C=3, H=4, W=4))


def test_pool_padding_is_at_most_half_the_window_as_torch_requires():
    # torch: "pad should be at most half of effective kernel size"
    with pytest.raises(sc.SpecError, match="at most half"):
        sc.MaxPool2d(kernel_size=2, padding=2).cost(sc.Shape(C=3, H=16, W=16))
    with pytest.raises(sc.SpecError, match="at most half"):
        sc.AvgPool1d(kernel_size=3, padding=2).cost(sc.Shape(C=3, L=16))
    sc.MaxPool2d(kernel_size=3, padding=2, dilation=2).cost(sc.Shape(C=3, H=16, W=16))


def test_documents_carry_sequences_and_video():
    x = sc.Shape(C=3, T=T, H=sc.dim("H", multiple_of=16), W=W)
    net = sc.Sequential([sc.Conv3d(in_channels=3, out_channels=8, kernel_size=3, padding=1),
                         sc.MaxPool3d(kernel_size=2)])
    doc = sc.load_document(sc.dump(net, input=x))
    assert doc.input == x and doc.network == net


# ------------------------------------------------------- pricing by operation family


def test_every_kind_declares_a_known_family():
    for cls in (*LAYER_TYPES, *MERGE_TYPES):
        assert cls.family in FAMILIES, cls


@pytest.mark.parametrize("name", convention_names())
def test_every_preset_states_a_rule_for_every_kind(name):
    """A kind is priced by a rule of its own (a peer's quirk) or of its family — never by
    a silent fallback: every preset states a rule for every family."""
    conv = get_convention(name)
    for pricing in (conv.macs, conv.flops):
        assert pricing.default is None
        assert set(pricing.families) == set(FAMILIES)
        for cls in (*LAYER_TYPES, *MERGE_TYPES):
            kind = cls.model_fields["kind"].default
            assert pricing.source_of(kind, cls.family) in ("kind", "family")


def test_a_pricing_without_a_rule_for_a_family_is_refused():
    with pytest.raises(sc.ConventionError, match="no rule for the families"):
        sc.Pricing(families={"convolution": {"mac": 1}})
    with pytest.raises(sc.ConventionError, match="Did you mean 'convolution'"):
        sc.Pricing(default={"mac": 1}, families={"convolutoin": {"mac": 1}})
    with pytest.raises(sc.CensusError, match="Did you mean 'mac'"):
        sc.OpCounts.from_mapping({"macs": 1})


def test_thop_prices_a_new_convolution_kind_by_its_family():
    # thop hooks nn.Conv1d/Conv3d like nn.Conv2d: MACs, never a silent 0
    conv = sc.Conv1d(in_channels=4, out_channels=4, kernel_size=3, bias=False)
    assert conv.cost(sc.Shape(C=4, L=10), "thop").macs == 4 * 4 * 3 * 8


def test_unknown_names_suggest_the_nearest():
    with pytest.raises(sc.UnknownConventionError, match="Did you mean 'fvcore'"):
        get_convention("fvcor")
    with pytest.raises(sc.UnknownModelError, match="Did you mean 'resnet50'"):
        sc.zoo.get("ResNet-50")
