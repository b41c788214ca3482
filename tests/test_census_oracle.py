"""symcost's census against operations really executed (tests/executor.py).

For every built-in layer kind and merge, hypothesis draws a layer valid for a small random
input (symcost.strategies), the executor computes it with counting numbers, and every census
entry — ``mac``, ``dot``, ``bias``, ``add``, ``mul``, ``div``, ``cmp``, ``exp``, ``erf``,
``sqrt`` — must equal what was executed, as must the output shape. The executor's output is
compared with torch.nn.functional on the same parameters (skipped without torch), so the
executor is shown to compute the right thing.

Where the census is a modelling choice, the executor implements the direct algorithm that
choice describes (see tests/executor.py's docstring): nominal pooling windows, branch-free
activations, BatchNorm with precomputed per-channel scale and shift, softmax without the max
subtraction, transposed convolution as a scatter.
"""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import symcost as sc
from symcost import strategies as sst
from symcost.counts import OPS
from symcost.spec import LAYER_TYPES, MERGE_TYPES
from tests.executor import ORACLES, run, run_merge
from tests.profiles import examples

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


@pytest.fixture(scope="module", autouse=True)
def _float64():
    """The oracles compute in float64, for these tests only: set at import, the default dtype
    leaked into every later test of the run (slower models, and torchvision's Swin V2 then
    mixes its float32 tables with float64 weights)."""
    if torch is None:
        yield
        return
    dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(dtype)

KINDS = sorted(cls.model_fields["kind"].default for cls in LAYER_TYPES)
MERGES = sorted(cls.model_fields["kind"].default for cls in MERGE_TYPES)
#: The input ranks each kind is drawn for: what its class accepts (any: 2, 3 and 4).
RANKS = {cls.model_fields["kind"].default: cls.ranks or (2, 3, 4) for cls in LAYER_TYPES}
RANKS["custom"] = (2, 4)  # the drawn custom operations name N, C, H, W
# sequences (…, T, d): attention and learned positions need the T axis
RANKS["multihead_attention"] = RANKS["positional_embedding"] = (3, 4)
#: Kinds whose input needs a last axis of 2 at least (rotary pairs).
PAIRS = {"rotary_embedding"}
SMALL = dict(max_batch=2, max_channels=4, max_side=6)


def census_of(spec, shape):
    res = spec.analyze(shape, "flops")
    counts = {op: int(v) for op, v in res.total.counts.items() if v != 0}
    return counts, res.root.output


def check(spec, shape, seed=0):
    counts, out_shape = census_of(spec, shape)
    values, executed, expected = run(spec, shape, seed=seed, torch=torch)
    assert executed == counts, f"{spec!r} on {shape}: executed {executed}, census {counts}"
    assert values.shape == tuple(int(v) for v in out_shape.axes().values())
    if expected is not None:
        np.testing.assert_allclose(values, expected, rtol=1e-9, atol=1e-9)


def test_every_kind_has_an_oracle():
    missing = sorted((set(KINDS) | set(MERGES)) - ORACLES)
    assert not missing, f"no executor in tests/executor.py for {missing}"
    assert set(OPS) == {"mac", "dot", "bias", "add", "mul", "div", "cmp", "exp", "erf", "sqrt"}


@pytest.mark.property
@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=examples(8, 60))
@given(data=st.data())
def test_census_equals_executed_operations(kind, data):
    shape = data.draw(sst.shapes(ranks=RANKS[kind], **SMALL), label="shape")
    if kind in PAIRS:
        shape = shape.with_size(-1, shape.last + 1)
    layer = data.draw(sst.layers(kinds=[kind], input=shape), label="layer")
    check(layer, shape, seed=data.draw(st.integers(0, 2**16), label="seed"))


X = sc.Shape(N=2, C=4, H=6, W=5)

#: Each feature named in the issue, at least once, whatever hypothesis draws.
CASES = [
    ("stride 2, padding 1", sc.Conv2d(in_channels=4, out_channels=3, kernel_size=3, stride=2,
                                      padding=1, bias=False)),
    ("dilation 2, rectangular", sc.Conv2d(in_channels=4, out_channels=2, kernel_size=(3, 2),
                                          dilation=2, padding=(2, 1))),
    ("groups 2, bias", sc.Conv2d(in_channels=4, out_channels=6, kernel_size=3, groups=2)),
    ("same padding", sc.Conv2d(in_channels=4, out_channels=2, kernel_size=3, padding="same")),
    ("same padding stride 2", sc.Conv2d(in_channels=4, out_channels=2, kernel_size=3,
                                        stride=2, padding="same")),
    ("depthwise multiplier 2", sc.DepthwiseConv2d(in_channels=4, kernel_size=3,
                                                  depth_multiplier=2, stride=2, padding=1)),
    ("depthwise bias", sc.DepthwiseConv2d(in_channels=4, kernel_size=3, bias=True)),
    ("pointwise groups", sc.PointwiseConv2d(in_channels=4, out_channels=8, groups=4,
                                            bias=True)),
    ("separable", sc.SeparableConv2d(in_channels=4, out_channels=3, kernel_size=3,
                                     depth_multiplier=2, padding=1, bias=True)),
    ("transposed s2 op1 g2", sc.ConvTranspose2d(in_channels=4, out_channels=6, kernel_size=3,
                                                stride=2, padding=1, output_padding=1,
                                                groups=2)),
    ("transposed dilation, no bias", sc.ConvTranspose2d(in_channels=4, out_channels=2,
                                                        kernel_size=2, dilation=2,
                                                        bias=False)),
    ("max pool ceil", sc.MaxPool2d(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("max pool dilation", sc.MaxPool2d(kernel_size=2, stride=1, dilation=2)),
    ("avg pool ceil", sc.AvgPool2d(kernel_size=2, stride=2, ceil_mode=True)),
    ("avg pool ceil padded", sc.AvgPool2d(kernel_size=3, stride=2, padding=1,
                                          ceil_mode=True)),
    ("adaptive overlap", sc.AdaptiveAvgPool2d(output_size=(4, 3))),
    ("linear on a map", sc.Linear(in_features=5, out_features=3)),
    ("gelu tanh", sc.GELU(approximate="tanh")),
    ("softmax over W", sc.Softmax(dim=-1)),
    ("bilinear x2", sc.Upsample(scale_factor=2, mode="bilinear")),
    ("bilinear to size", sc.Upsample(size=(4, 7), mode="bilinear")),
]


@pytest.mark.parametrize("name, layer", CASES, ids=[c[0] for c in CASES])
def test_census_on_named_features(name, layer):
    check(layer, X)


@pytest.mark.parametrize("kind", MERGES)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_merge_census_equals_executed_operations(kind, data):
    if kind == "sdpa":
        check_attention(data)
        return
    n, c, h, w = (data.draw(st.integers(1, 3)) for _ in range(4))
    base = sc.Shape(N=n, C=c, H=h, W=w)
    if kind == "matmul":
        if data.draw(st.booleans()):
            shapes = [base, sc.Shape(N=data.draw(st.sampled_from([1, n])), C=c, H=w,
                                     W=data.draw(st.integers(1, 3)))]
        else:
            shapes = [sc.Shape(N=n, C=c), sc.Shape(N=c, C=data.draw(st.integers(1, 3)))]
    elif kind == "concat":
        shapes = [base.replace(C=data.draw(st.integers(1, 3))) for _ in range(
            data.draw(st.integers(2, 3)))]
    else:  # broadcasting: an axis of size 1 stretches (squeeze-and-excitation's N×C×1×1)
        shapes = [base] + [sc.Shape(N=n, C=c, H=data.draw(st.sampled_from([1, h])),
                                    W=data.draw(st.sampled_from([1, w])))
                           for _ in range(data.draw(st.integers(1, 2)))]
    merge = {"add": sc.Add, "mul": sc.Mul, "concat": sc.Concat, "matmul": sc.MatMul}[kind]()
    out, census, _ = merge.combine(shapes, kind)
    values, executed, expected = run_merge(kind, shapes)
    assert executed == {op: int(v) for op, v in census.ops.items() if v != 0}
    assert values.shape == tuple(int(v) for v in out.axes().values())
    np.testing.assert_allclose(values, expected, rtol=1e-12)


@pytest.mark.property
@settings(max_examples=examples(25, 300))
@given(sst.networks(input=sc.Shape(C=2, H=5, W=5), max_layers=examples(4, 5)),
       st.integers(0, 99))
@example(sc.Sequential([sc.Residual(body=sc.Sequential([sc.ReLU(), sc.Conv2d(
    in_channels=2, out_channels=2, kernel_size=3, padding=1)]), merge=sc.Mul())]), 0)
def test_network_census_equals_executed_operations(net, seed):
    """Whole random networks (containers, merges, repeats, graphs) executed end to end."""
    check(net, sc.Shape(C=2, H=5, W=5), seed=seed)


def attention_case(data):
    """q (N, H, T, Dh), k (N, G, S, Dh), v (N, G, S, Dv) for a drawn mask: S = T for the
    causal kinds, P + T after a prefix, anything without a mask; G divides H."""
    n, t = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 5))
    heads = data.draw(st.integers(1, 4))
    kv = data.draw(st.sampled_from([g for g in range(1, heads + 1) if heads % g == 0]))
    kind = data.draw(st.sampled_from(["none", "causal", "prefix", "sliding", "chunked"]))
    mask = kind if kind in ("none", "causal") else (
        kind, data.draw(st.integers(0, 3) if kind == "prefix" else st.integers(1, t + 1)))
    s = {"none": data.draw(st.integers(1, 5)), "prefix": t + (mask[1] if kind == "prefix"
                                                               else 0)}.get(kind, t)
    dh, dv = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    q = sc.Shape(N=n, heads=heads, L=t, D=dh)
    k = sc.Shape(N=n, heads=kv, L=s, D=dh)
    v = sc.Shape(N=n, heads=kv, L=s, D=dv)
    merge = sc.ScaledDotProductAttention(mask=mask, enable_gqa=kv != heads or
                                         data.draw(st.booleans()),
                                         scale=data.draw(st.booleans()))
    return merge, [q, k, v]


def check_attention(data):
    """The merge "sdpa": only the kept pairs executed, every mask kind, grouped-query
    heads; torch's F.scaled_dot_product_attention (attn_mask, enable_gqa) as reference."""
    merge, shapes = attention_case(data)
    out, census, _ = merge.combine(shapes, "sdpa")
    values, executed, expected = run_merge(merge, shapes, torch=torch)
    assert executed == {op: int(v) for op, v in census.ops.items() if v != 0}, merge
    assert values.shape == tuple(int(v) for v in out.axes().values())
    if torch is not None:
        np.testing.assert_allclose(values, expected, rtol=1e-9, atol=1e-12)
