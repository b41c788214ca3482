"""Training FLOPs: backward censuses, recomputation, FlopCounterMode around loss.backward(), and
the papers' training formulas derived from the spec (issue 15, part 1)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import symcost as sc
from symcost.backward import BACKWARD_RULES, backward_census
from symcost.spec import kind_classes

B, T, d, L, V = sc.dims("B T d L V")
IDS = sc.Shape(N=B, L=T)


def gpt(mask="none", **kw):
    """Narayanan et al.'s GPT: h = d, 4h feed-forward, learned positions, tied logits."""
    return sc.zoo.decoder_lm(n_layers=L, d_model=d, n_heads=16, d_ff=4 * d, vocab=V,
                             max_positions=2048, mask=mask, **kw)


# ------------------------------------------------------------------ every kind has a rule
EXTRA_CENSUS_KINDS = ("attention", "rotary_embedding", "mul", "moe_routing", "moe_combine")


def test_every_layer_kind_has_a_backward_rule():
    containers = {"sequential", "residual", "parallel", "repeat", "graph", "separable_conv2d",
                  "multihead_attention", "mlp", "gated_mlp", "moe"}
    kinds = set(kind_classes()) - containers
    missing = sorted(k for k in (*kinds, *EXTRA_CENSUS_KINDS) if k not in BACKWARD_RULES)
    assert missing == []


def test_a_kind_without_a_rule_is_an_error():
    node = sc.ReLU().node(sc.Shape(C=3, H=4, W=4))
    census = node.census.__class__(**{**node.census.__dict__, "kind": "brand_new"})
    with pytest.raises(sc.SymcostError, match="brand_new"):
        backward_census(census)


# ------------------------------------------------------------------ rules
def test_linear_backward_is_twice_the_forward_and_a_frozen_one_once():
    x = sc.Shape(N=B, L=T, D=d)
    fc = sc.Linear(in_features=d, out_features=V, bias=False)
    fwd = fc.cost(x, "macs").macs
    both = fc.cost(x, "macs", training=True, input_requires_grad=True)
    assert sympy.expand(both.parts["backward"].macs - 2 * fwd) == 0
    net = sc.Sequential([sc.LayerNorm(normalized_shape=d), sc.Linear(in_features=d,
                                                                      out_features=V,
                                                                      name="head")])
    frozen = net.cost(x, "macs", training=True, frozen=["head"]).total.parts["backward"]
    assert sympy.expand(frozen.macs - fwd) == 0


def test_the_first_layer_computes_no_input_gradient():
    x = sc.Shape(C=3, H=8, W=8)
    conv = sc.Conv2d(in_channels=3, out_channels=4, kernel_size=3)
    cost = sc.Sequential([conv]).cost(x, "macs", training=True).total
    assert cost.parts["backward"].macs == cost.parts["forward"].macs
    wanted = sc.Sequential([conv]).cost(x, "macs", training=True, input_requires_grad=True)
    assert wanted.total.parts["backward"].macs == 2 * cost.parts["forward"].macs


def test_attention_backward_keeps_the_mask():
    x = sc.Shape(N=B, L=T, D=d)
    attn = sc.MultiheadAttention(embed_dim=d, num_heads=4, bias=False, mask="causal")
    net = sc.Sequential([sc.LayerNorm(normalized_shape=d), attn])
    core = next(r for r in net.cost(x, "macs", training=True).rows if r.kind == "attention")
    # kept pairs T·(T + 1)/2 per head, both forward matmuls' gradients: twice the forward
    assert sympy.expand(core.cost.parts["backward"].macs - 2 * B * d * T * (T + 1)) == 0
    dense = next(r for r in net.cost(x, "torch", training=True).rows if r.kind == "attention")
    assert sympy.expand(dense.cost.parts["backward"].macs - 4 * B * d * T**2) == 0


def test_fused_attention_backward_under_torch_recomputes_the_scores():
    x = sc.Shape(N=B, L=T, D=d)
    attn = sc.MultiheadAttention(embed_dim=d, num_heads=4, bias=False, fused=True)
    net = sc.Sequential([sc.LayerNorm(normalized_shape=d), attn])
    core = next(r for r in net.cost(x, "torch", training=True).rows if r.kind == "attention")
    # FlopCounterMode's SDPA backward: 5 matmuls of the forward's 2 (flash recomputes QKᵀ)
    fwd = core.cost.parts["forward"].flops
    assert sympy.expand(core.cost.parts["backward"].flops - sympy.Rational(5, 2) * fwd) == 0


def test_embedding_backward_is_a_scatter_add():
    cost = gpt().cost(IDS, "flops", training=True)
    embed = next(r for r in cost.rows if r.path == "embed")
    assert embed.cost.parts["backward"].counts.nonzero() == {"add": B * T * d}


def test_training_cost_of_every_layer_kind_builds():
    # the strategies draw every kind; one network of each family trains under every preset
    x = sc.Shape(C=4, H=8, W=8)
    net = sc.Sequential([
        sc.Conv2d(in_channels=4, out_channels=8, kernel_size=3, padding=1),
        sc.BatchNorm2d(num_features=8), sc.PReLU(), sc.DepthwiseConv2d(in_channels=8,
                                                                       kernel_size=3),
        sc.MaxPool2d(kernel_size=2), sc.Upsample(scale_factor=2), sc.Hardswish(),
        sc.GlobalAvgPool2d(), sc.Flatten(), sc.Linear(in_features=8, out_features=5),
        sc.Softmax(dim=1)])
    for name in sc.convention_names():
        cost = net.cost(x, name, training=True, recompute="full")
        assert set(cost.total.parts) >= {"forward", "backward", "recompute"}
        assert cost.total.params == net.cost(x, name).total.params


def test_moe_trains():
    expert = sc.GatedMLP(d_model=d, d_ff=4 * d)
    moe = sc.MoE(num_experts=8, top_k=2, expert=expert)
    cost = sc.Sequential([sc.RMSNorm(normalized_shape=d), moe]).cost(
        sc.Shape(N=B, L=T, D=d), "macs", training=True).total
    assert sympy.expand(cost.parts["backward"].macs - 2 * cost.parts["forward"].macs) == 0


@pytest.mark.parametrize("kwargs, field", [
    (dict(training=True, recompute="some"), "recompute"),
    (dict(recompute="full"), "recompute"),
    (dict(training="yes"), "training"),
    (dict(training=True, frozen=["nope"]), "frozen"),
])
def test_bad_training_options_name_the_option(kwargs, field):
    with pytest.raises(sc.SymcostError, match=field) as info:
        gpt().cost(IDS, "megatron", **kwargs)
    if kwargs.get("recompute") == "some":
        assert "'selective'" in str(info.value) and "'full'" in str(info.value)


# ------------------------------------------------------------------ the papers, derived
def test_narayanan_96_formula_is_full_recompute_under_megatron():
    s, h, l = T, d, L
    cost = gpt().cost(IDS, "megatron", training=True, recompute="full").total
    paper = 96 * B * s * l * h**2 * (1 + s / (6 * h) + V / (16 * l * h))
    assert sc.equivalent(cost.flops, paper)
    # the logits are not recomputed: 3 passes of 2·B·s·h·V, the layers 4
    assert sc.equivalent(cost.parts["recompute"].flops,
                         gpt().cost(IDS, "megatron").total.flops - 2 * B * s * h * V)


def test_korthikanti_72_formula_is_three_passes_without_recompute():
    s, h, l = T, d, L
    cost = gpt().cost(IDS, "megatron", training=True).total
    assert sc.equivalent(cost.flops, 72 * B * s * l * h**2 * (1 + s / (6 * h) + V / (12 * l * h)))
    # selective recompute adds the attention core's forward: HFU/MFU = 1 + s/(6h)·(…)
    sel = gpt().cost(IDS, "megatron", training=True, recompute="selective").total
    assert sc.equivalent(sel.flops - cost.flops, 4 * B * s**2 * h * l)


def test_korthikanti_table5_mfu_from_the_printed_times():
    cost = gpt().cost(IDS, "megatron", training=True).total.flops
    rows = [(48, 6144, 8, 4, 1.10, 41.7), (96, 12288, 64, 64, 13.75, 51.4),
            (105, 20480, 280, 280, 37.83, 56.0), (128, 25600, 512, 512, 71.49, 56.3)]
    for layers, h, gpus, batch, seconds, printed in rows:
        flops = cost.xreplace({L: layers, d: h, B: batch, T: 2048, V: 51200})
        mfu = 100 * float(flops) / (seconds * gpus * 312e12)
        assert round(mfu, 1) == printed


def test_palm_6n_plus_12lhqt_is_three_forwards():
    H, Q = 16, d / 16
    fwd = gpt().cost(IDS, "palm").total
    per_token = 3 * fwd.flops / (B * T)
    assert sc.equivalent(per_token, 6 * fwd.params + 12 * L * H * Q * T)


def test_where_the_72_formula_does_not_hold_swiglu_and_gqa():
    # LLaMA-style: SwiGLU with d_ff F, GQA with G of 16 heads, RMSNorm, untied logits
    F, G = sc.dims("F G")
    llama = sc.zoo.decoder_lm(n_layers=L, d_model=d, n_heads=16, n_kv_heads=G, d_ff=F,
                              vocab=V, norm="rmsnorm", mlp="swiglu", bias=False,
                              tie_embeddings=False, mask="none")
    derived = llama.cost(IDS, "megatron", training=True).total.flops
    paper = 72 * B * T * L * d**2 * (1 + T / (6 * d) + V / (12 * L * d))
    # the difference: 3 × (SwiGLU's 3·d·F instead of 8·d² of MLP, and K/V of G/16 width)
    difference = 6 * B * T * L * (3 * d * F - 8 * d**2) + 6 * B * T * L * 2 * d**2 * (G / 16 - 1)
    assert sc.equivalent(derived - paper, difference)
    # at LLaMA-2-7B's F = 11008, G = 16 (MHA) the formula is off by the MLP alone
    at = {"d": 4096, "F": 11008, "G": 16, "L": 32, "V": 32000, "B": 1, "T": 4096}
    assert derived.subs(at) != paper.subs(at)


# ------------------------------------------------------------------ FlopCounterMode
def _fcm_train(model, inputs):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        out = model(**inputs) if isinstance(inputs, dict) else model(inputs)
        loss = out.loss if hasattr(out, "loss") else out.float().pow(2).sum()
        loss.backward()
    del torch
    return int(counter.get_total_flops())


def _hf():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tests import hf_models

    return hf_models


def _check_lm(model, spec, points):
    hf = _hf()
    cost = spec.cost(IDS, "torch", training=True).total
    for b, t in points:
        ids = hf.token_inputs(b, t, vocab=model.config.vocab_size)
        assert cost.evaluate(B=b, T=t).flops == _fcm_train(model, {"input_ids": ids,
                                                                  "labels": ids})


def test_gpt2_tiny_training_step_equals_flop_counter_mode():
    hf = _hf()
    model = hf.gpt2(n_embd=64, n_layer=2, n_head=4, vocab_size=1000, n_positions=128)
    spec = sc.zoo.decoder_lm(2, 64, 4, 256, 1000, max_positions=128, mlp="gelu_tanh")
    assert spec.cost(IDS, "torch").total.params == sum(p.numel() for p in model.parameters())
    _check_lm(model, spec, [(1, 7), (3, 33)])


def test_small_llama_training_step_equals_flop_counter_mode():
    hf = _hf()
    tf = hf.transformers()
    config = tf.LlamaConfig(vocab_size=1000, hidden_size=64, intermediate_size=176,
                            num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                            max_position_embeddings=256, tie_word_embeddings=False,
                            attn_implementation="eager")
    model = tf.LlamaForCausalLM(config)
    spec = sc.zoo.decoder_lm(2, 64, 4, 176, 1000, n_kv_heads=2, norm="rmsnorm", mlp="swiglu",
                             bias=False, tie_embeddings=False)
    assert spec.cost(IDS, "torch").total.params == sum(p.numel() for p in model.parameters())
    _check_lm(model, spec, [(3, 17), (2, 61)])


def test_frozen_layers_under_torch_equal_flop_counter_mode():
    hf = _hf()
    model = hf.gpt2(n_embd=64, n_layer=2, n_head=4, vocab_size=1000, n_positions=128)
    for p in model.transformer.h[1].mlp.parameters():
        p.requires_grad_(False)
    spec = sc.zoo.decoder_lm(2, 64, 4, 256, 1000, max_positions=128, mlp="gelu_tanh")
    # a Repeat prices every copy alike: unroll the two blocks to freeze one
    layers = spec.layers[2]
    unrolled = spec.model_copy(update={"layers": (*spec.layers[:2],
                                                  *(layers.body.model_copy(update={"name": n})
                                                    for n in ("h0", "h1")),
                                                  *spec.layers[3:])})
    mlp = next(r.path for r in unrolled.cost(IDS, "torch").rows if r.path.startswith("h1")
           and r.path.endswith("mlp"))
    cost = unrolled.cost(IDS, "torch", training=True, frozen=[mlp]).total
    ids = hf.token_inputs(2, 9, vocab=1000)
    assert cost.evaluate(B=2, T=9).flops == _fcm_train(model, {"input_ids": ids, "labels": ids})


@pytest.mark.slow
def test_gpt2_small_training_step_equals_flop_counter_mode():
    hf = _hf()
    _check_lm(hf.gpt2(), sc.zoo.gpt2(), [(1, 7), (2, 33)])


def test_small_cnn_training_step_equals_flop_counter_mode():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8),
                          nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1, groups=8),
                          nn.Conv2d(8, 16, 1), nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(16, 10))
    img = sc.Shape(N=sc.dim("N"), C=3, H=sc.dim("H"), W=sc.dim("W"))
    net = sc.from_torch(model, img)
    cost = net.cost(img, "torch", training=True).total
    for n, h, w in [(2, 17, 23), (1, 30, 9)]:
        x = torch.randn(n, 3, h, w)
        assert cost.evaluate(N=n, H=h, W=w).flops == _fcm_train(model, x)


@pytest.mark.slow
def test_resnet18_training_step_equals_flop_counter_mode():
    from tests.torchvision_compat import import_torchvision

    tv = import_torchvision()
    if tv is None:
        pytest.skip("torchvision not installed")
    torch = pytest.importorskip("torch")
    model = tv.models.resnet18()
    img = sc.Shape(N=1, C=3, H=sc.dim("H"), W=sc.dim("W"))
    net = sc.from_torch(model, img)
    cost = net.cost(img, "torch", training=True).total
    assert cost.evaluate(H=67, W=91).flops == _fcm_train(model, torch.randn(1, 3, 67, 91))


# ------------------------------------------------------------------ executed, op by op
def _census_of(layer, shape, **flags):
    node = layer.node(shape)
    return {k: int(v) for k, v in backward_census(node.census, **flags).ops.nonzero().items()}


@pytest.mark.parametrize("flags", [dict(input_grad=True, weight_grad=True),
                                   dict(input_grad=False, weight_grad=True),
                                   dict(input_grad=True, weight_grad=False)])
@pytest.mark.parametrize("case", ["linear", "conv", "grouped_conv", "layer_norm"])
def test_executed_backward_counts_equal_the_census(case, flags):
    from tests import backward_executor as bx
    from tests.executor import Tally

    rng = np.random.default_rng(3)
    t = Tally()
    if case == "linear":
        layer, shape, x_shape = (sc.Linear(in_features=5, out_features=3),
                                 sc.Shape(N=2, L=3, D=5), (2, 3, 5))
        run = bx.linear
    elif case == "layer_norm":
        layer, shape, x_shape = (sc.LayerNorm(normalized_shape=6), sc.Shape(N=2, L=3, D=6),
                                 (2, 3, 6))
        run = bx.layer_norm
    else:
        groups = 2 if case == "grouped_conv" else 1
        layer = sc.Conv2d(in_channels=4, out_channels=4, kernel_size=3, stride=2, padding=1,
                          groups=groups)
        shape, x_shape, run = sc.Shape(N=2, C=4, H=5, W=6), (2, 4, 5, 6), bx.conv2d
    x = rng.standard_normal(x_shape)
    out = layer.output_shape(shape)
    g = rng.standard_normal(tuple(int(s) for s in out.sizes))
    grads, ref = run(layer, x, g, rng, t, **flags)
    assert t.census() == _census_of(layer, shape, **flags)
    bx.check_against_torch(grads, ref)


@pytest.mark.parametrize("case", ["relu", "softmax"])
def test_executed_activation_backward_counts_equal_the_census(case):
    from tests import backward_executor as bx
    from tests.executor import Tally

    rng = np.random.default_rng(4)
    t = Tally()
    layer = sc.ReLU() if case == "relu" else sc.Softmax(dim=-1)
    x, g = rng.standard_normal((2, 3, 7)), rng.standard_normal((2, 3, 7))
    grads, ref = getattr(bx, case)(layer, x, g, rng, t)
    assert t.census() == _census_of(layer, sc.Shape(N=2, L=3, D=7))
    bx.check_against_torch(grads, ref)


@pytest.mark.parametrize("mask", ["none", "causal"])
def test_executed_attention_backward_counts_equal_the_census(mask):
    from tests import backward_executor as bx
    from tests.executor import Tally

    rng = np.random.default_rng(5)
    t = Tally()
    q, k, v, g = (rng.standard_normal((2, 2, 5, 3)) for _ in range(4))
    layer = sc.ScaledDotProductAttention(mask=mask)
    shape = sc.Shape(N=2, heads=2, L=5, head_dim=3)
    grads, ref = bx.attention(layer, q, k, v, g, t)
    _, census, _ = layer.combine([shape, shape, shape], "sdpa")
    expected = {k_: int(v_) for k_, v_ in backward_census(census).ops.nonzero().items()}
    assert t.census() == expected
    bx.check_against_torch(grads, ref)


def test_a_repeat_first_copy_computes_no_input_gradient():
    n, C, H = sc.dims("n C H")
    net = sc.Repeat(n=n, body=sc.PointwiseConv2d(in_channels=C, out_channels=C, bias=False))
    cost = net.cost(sc.Shape(C=C, H=H, W=H), "macs", training=True).total
    one = C**2 * H**2
    assert sc.equivalent(cost.parts["backward"].macs, (2 * n - 1) * one)
    assert sc.equivalent(net.cost(sc.Shape(C=C, H=H, W=H), "macs", training=True,
                                  input_requires_grad=True).total.parts["backward"].macs,
                         2 * n * one)


def test_korthikanti_table5_hfu_counts_the_attention_core_three_times():
    # Table 5's HFU column (43.7, 52.8, 57.0, 57.0) is MFU·(1 + s/(6h)): 12·B·s²·h·l more,
    # i.e. the attention core's forward and backward; selective recomputation runs only its
    # forward again, 4·B·s²·h·l (derived below), which gives 42.4, 51.8, 56.4, 56.5
    model = gpt().cost(IDS, "megatron", training=True).total.flops
    hardware = gpt().cost(IDS, "megatron", training=True, recompute="selective").total.flops
    assert sc.equivalent(hardware - model, 4 * B * T**2 * d * L)
    paper = model * (1 + T / (6 * d))
    rows = [(96, 12288, 64, 64, 13.75, 52.8, 51.8), (105, 20480, 280, 280, 37.83, 57.0, 56.4),
            (128, 25600, 512, 512, 71.49, 57.0, 56.5)]
    for layers, h, gpus, batch, seconds, printed, derived in rows:
        at = {L: layers, d: h, B: batch, T: 2048, V: 51200}
        peak = seconds * gpus * 312e12
        assert round(100 * float(paper.xreplace(at)) / peak, 1) == printed
        assert round(100 * float(hardware.xreplace(at)) / peak, 1) == derived


def test_a_custom_layer_needs_backward_counts_to_train():
    x = sc.Shape(C=3, H=4, W=4)
    unknown = sc.Sequential([sc.Custom(label="mystery", counts={"mul": "N*C*H*W"})])
    with pytest.warns(sc.SymcostWarning, match="backward_counts"):
        assert unknown.cost(x, "flops", training=True).total.flops == 48
    known = sc.Sequential([sc.Custom(label="scale", counts={"mul": "N*C*H*W"},
                                     backward_counts={"mul": "N*C*H*W"})])
    cost = known.cost(x, "flops", training=True)
    assert cost.uncosted == [] and cost.total.parts["backward"].flops == 48


def test_every_zoo_model_trains_with_nothing_uncosted():
    for name in ("bert_base", "t5_small", "vit_b_16", "swin_t", "gpt2", "mixtral_8x7b",
                 "resnet18", "mobilenet_v2"):
        entry = sc.zoo.get(name)
        assert entry.build().cost(entry.input(), "torch", training=True).uncosted == []


def test_freezing_every_block_equals_flop_counter_mode():
    hf = _hf()
    model = hf.gpt2(n_embd=64, n_layer=2, n_head=4, vocab_size=1000, n_positions=128)
    for p in model.transformer.h.parameters():
        p.requires_grad_(False)
    spec = sc.zoo.decoder_lm(2, 64, 4, 256, 1000, max_positions=128, mlp="gelu_tanh")
    cost = spec.cost(IDS, "torch", training=True, frozen=["layers"]).total
    ids = hf.token_inputs(3, 11, vocab=1000)
    assert cost.evaluate(B=3, T=11).flops == _fcm_train(model, {"input_ids": ids,
                                                               "labels": ids})
