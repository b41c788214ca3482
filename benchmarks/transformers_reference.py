"""Regenerate tests/fixtures/transformers_reference.json: ground truth from real models.

    python benchmarks/transformers_reference.py            # every zoo model and tiny probe
    python benchmarks/transformers_reference.py --check    # recompute, compare, write nothing

For every zoo name (tests/hf_models.py) the fixture holds the class, the config values,
``params`` (sum of numel over model.parameters(); tied weights count once), the persistent
buffers, and FlopCounterMode (FCM) totals with their per-aten-op breakdown at a few (B, T)
points. Every FCM breakdown is also checked here against a closed form in B, T and the config
(the ``*_ops`` functions below, one per family): a mismatch stops the run.

The ``tiny`` section runs small configs of each family at odd (B, T) on real CPU tensors
(and on meta), with each module's per-op counts, for the notes on what FCM counts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from tests import hf_models as H  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "transformers_reference.json"
LM_POINTS = [(1, 7), (3, 333), (2, 1024)]


# --- closed forms of FCM's per-op counts ---------------------------------------------------
def gpt2_ops(c, B, T):
    """GPT2LMHeadModel, eager attention. Conv1D is addmm; the tied lm_head is an mm."""
    d, L, V = c["n_embd"], c["n_layer"], c["vocab_size"]
    inner = c.get("n_inner") or 4 * d
    return {"aten.addmm": L * 2 * B * T * (4 * d * d + 2 * d * inner),
            "aten.bmm": L * 4 * B * T * T * d,
            "aten.mm": 2 * B * T * d * V}


def llama_ops(c, B, T):
    """Llama / Mistral / Mixtral (eager attention, bias-free Linear = mm). Mixtral's experts are
    bmm under experts_implementation "batched_mm" and mm under "eager"; 0 under "grouped_mm"."""
    d, L, V = c["hidden_size"], c["num_hidden_layers"], c["vocab_size"]
    H_, K = c["num_attention_heads"], c.get("num_key_value_heads") or c["num_attention_heads"]
    Dh = c.get("head_dim") or d // H_
    inner = c["intermediate_size"]
    attn_proj = 2 * B * T * (2 * d * H_ * Dh + 2 * d * K * Dh)
    bmm = L * 4 * B * H_ * T * T * Dh
    if "num_local_experts" in c:
        E, k = c["num_local_experts"], c["num_experts_per_tok"]
        experts = L * k * 2 * B * T * 3 * d * inner
        impl = c.get("experts_implementation", "grouped_mm")
        mm = L * (attn_proj + 2 * B * T * d * E) + 2 * B * T * d * V
        if impl == "eager":
            mm += experts
        elif impl == "batched_mm":
            bmm += experts
        return {"aten.mm": mm, "aten.bmm": bmm}
    return {"aten.mm": L * (attn_proj + 2 * B * T * 3 * d * inner) + 2 * B * T * d * V,
            "aten.bmm": bmm}


def bert_ops(c, B, T):
    """BertModel with pooler (the pooler's dense runs on the first token only)."""
    d, L, inner = c["hidden_size"], c["num_hidden_layers"], c["intermediate_size"]
    return {"aten.addmm": L * 2 * B * T * (4 * d * d + 2 * d * inner) + 2 * B * d * d,
            "aten.bmm": L * 4 * B * T * T * d}


def t5_ops(c, B, T, S=None):
    """T5ForConditionalGeneration: encoder length S, decoder length T (S = T by default).
    Relative position bias is an embedding lookup (no flops); the tied lm_head is an mm."""
    S = T if S is None else S
    d, dkv, H_, ff, V = c["d_model"], c["d_kv"], c["num_heads"], c["d_ff"], c["vocab_size"]
    Le, Ld = c["num_layers"], c.get("num_decoder_layers") or c["num_layers"]
    inner = H_ * dkv
    enc = 2 * B * S * (4 * d * inner + 2 * d * ff)
    dec = 2 * B * T * (6 * d * inner + 2 * d * ff) + 2 * B * S * 2 * d * inner
    return {"aten.mm": Le * enc + Ld * dec + 2 * B * T * d * V,
            "aten.bmm": Le * 4 * B * H_ * S * S * dkv + Ld * 4 * B * H_ * (T * T + T * S) * dkv}


def vit_ops(c, B, mode="meta"):
    """torchvision VisionTransformer. mode "meta": everything (SDPA decomposes to bmm on the
    meta device); "train" (or grad enabled) on CPU: nn.MultiheadAttention's slow path, in_proj
    as mm and out_proj as addmm, SDPA counted 0; "eval" (eval + no_grad on CPU): the fused
    _native_multi_head_attention fast path, counted 0 with its projections."""
    d, L, m, p, img = c["hidden_dim"], c["num_layers"], c["mlp_dim"], c["patch_size"], \
        c["image_size"]
    P = (img // p) ** 2
    N = P + 1
    ops = {"aten.convolution": 2 * B * P * 3 * p * p * d,
           "aten.addmm": L * 4 * B * N * d * m + 2 * B * d * c["num_classes"]}
    if mode in ("meta", "train"):
        # in_proj runs on the (N, B, d) transpose of the batch-first input: contiguous only
        # when B == 1, where F.linear folds it to 2-D and calls addmm; else matmul + add (mm)
        key = "aten.mm" if B > 1 else "aten.addmm"
        ops[key] = ops.get(key, 0) + L * 6 * B * N * d * d
        ops["aten.addmm"] += L * 2 * B * N * d * d
    if mode == "meta":
        ops["aten.bmm"] = L * 4 * B * N * N * d
    return ops


def swin_ops(c, B, img):
    """torchvision SwinTransformer (v1), image side divisible by patch * window at every stage
    (no padding). A stage's window is min(window, side); shifting changes no count."""
    p, C, w = c["patch_size"][0], c["embed_dim"], c["window_size"][0]
    R = img // p
    ops = {"aten.convolution": 2 * B * R * R * 3 * p * p * C, "aten.addmm": 0, "aten.bmm": 0,
           "aten.mm": 0}
    for i, depth in enumerate(c["depths"]):
        we = min(w, R)
        assert R % we == 0, "padding case not covered"
        ops["aten.addmm"] += depth * 24 * B * R * R * C * C
        ops["aten.bmm"] += depth * 4 * B * R * R * we * we * C
        if i < len(c["depths"]) - 1:
            ops["aten.mm"] += 4 * B * R * R * C * C  # PatchMerging: Linear(4C, 2C, bias=False)
            R, C = R // 2, 2 * C
    ops["aten.addmm"] += 2 * B * C * c["num_classes"]
    return ops


def _clean(ops):
    return {k: v for k, v in ops.items() if v}


# --- running ---------------------------------------------------------------------------------
def _source(device, attention="eager", **extra):
    tf = H.transformers()
    tv = H.import_torchvision()
    src = {"torch": torch.__version__, "transformers": tf.__version__,
           "torchvision": tv.__version__, "device": device, "attn_implementation": attention,
           "grad": "torch.no_grad()", "counter": "torch.utils.flop_counter.FlopCounterMode"}
    src.update(extra)
    return src


def _counts(model):
    persistent = set(model.state_dict(keep_vars=True))
    params = sum(p.numel() for p in model.parameters())
    buffers = {n: b.numel() for n, b in model.named_buffers()}
    return {"params": int(params),
            "buffers_persistent": int(sum(v for n, v in buffers.items() if n in persistent)),
            "buffers_non_persistent": int(sum(v for n, v in buffers.items()
                                              if n not in persistent))}


def _check(name, where, got, expected):
    if got != _clean(expected):
        raise AssertionError(f"{name} {where}: FCM {got} != closed form {_clean(expected)}")


def _point(model, inputs, name, where, expected):
    ops = H.fcm_breakdown(model, inputs)["Global"]
    _check(name, where, ops, expected)
    return {"flops": sum(ops.values()), "ops": ops}


def lm_entry(name, device, points, formula, cfg_extra=None, encoder_decoder=False):
    t0 = time.time()
    model = H.ZOO[name](device=device)
    cfg = dict(H.CONFIGS[name], **(cfg_extra or {}))
    entry = {"class": type(model).__name__, "config": cfg, **_counts(model)}
    extra = {"experts_implementation": cfg["experts_implementation"]} \
        if "experts_implementation" in cfg else {}
    entry["source"] = _source(device, **extra)
    entry["fcm"] = {}
    for B, T in points:
        inputs = {"input_ids": H.token_inputs(B, T, device)}
        if encoder_decoder:
            inputs["decoder_input_ids"] = H.token_inputs(B, T, device, seed=1)
        entry["fcm"][f"{B}x{T}"] = dict(B=B, T=T, **_point(model, inputs, name, (B, T),
                                                          formula(cfg, B, T)))
    entry["seconds"] = round(time.time() - t0, 1)
    print(name, entry["params"], {k: v["flops"] for k, v in entry["fcm"].items()},
          entry["seconds"], flush=True)
    return entry


def vit_entry(name, points):
    """points: (B, image_size). Each point is counted in the three modes."""
    t0 = time.time()
    entry = None
    for B, img in points:
        overrides = {} if img == H.CONFIGS[name]["image_size"] else {"image_size": img}
        cfg = dict(H.CONFIGS[name], **overrides)
        if entry is None:
            model = H.ZOO[name]()
            entry = {"class": type(model).__name__, "config": H.CONFIGS[name],
                     "builder": f"torchvision.models.{name}(weights=None)", **_counts(model),
                     "source": _source("cpu and meta", attention="torchvision"), "fcm": {}}
        cpu = H.ZOO[name](**overrides)
        x = torch.randn(B, 3, img, img, generator=torch.Generator().manual_seed(0))
        key = f"B{B}_img{img}"
        point = {"B": B, "image_size": img}
        if overrides:
            point["params"] = _counts(cpu)["params"]
        point["cpu_eval_no_grad"] = _point(cpu, x, name, (key, "eval"), vit_ops(cfg, B, "eval"))
        cpu.train()
        point["cpu_train_no_grad"] = _point(cpu, x, name, (key, "train"),
                                            vit_ops(cfg, B, "train"))
        meta = H.ZOO[name](device="meta", **overrides)
        point["meta_eval_no_grad"] = _point(meta, torch.empty(B, 3, img, img, device="meta"),
                                            name, (key, "meta"), vit_ops(cfg, B, "meta"))
        entry["fcm"][key] = point
    entry["seconds"] = round(time.time() - t0, 1)
    print(name, entry["params"], {k: {m: v[m]["flops"] for m in v if m.endswith("grad")}
                                  for k, v in entry["fcm"].items()}, entry["seconds"], flush=True)
    return entry


def swin_entry(name, points):
    t0 = time.time()
    model = H.ZOO[name]()
    meta = H.ZOO[name](device="meta")
    cfg = H.CONFIGS[name]
    entry = {"class": type(model).__name__, "config": cfg,
             "builder": f"torchvision.models.{name}(weights=None)", **_counts(model),
             "source": _source("cpu", attention="torchvision"), "fcm": {}}
    for B, img in points:
        x = torch.randn(B, 3, img, img, generator=torch.Generator().manual_seed(0))
        point = _point(model, x, name, (B, img), swin_ops(cfg, B, img))
        m = _point(meta, torch.empty(B, 3, img, img, device="meta"), name, (B, img, "meta"),
                   swin_ops(cfg, B, img))
        assert m == point, (m, point)
        entry["fcm"][f"B{B}_img{img}"] = dict(B=B, image_size=img, **point)
    entry["seconds"] = round(time.time() - t0, 1)
    print(name, entry["params"], {k: v["flops"] for k, v in entry["fcm"].items()},
          entry["seconds"], flush=True)
    return entry


def zoo():
    out = {}
    out["gpt2"] = lm_entry("gpt2", "cpu", LM_POINTS, gpt2_ops)
    for name in ("gpt2_medium", "gpt2_large", "gpt2_xl"):
        out[name] = lm_entry(name, "meta", LM_POINTS, gpt2_ops)
    out["bert_base"] = lm_entry("bert_base", "cpu", [(1, 7), (3, 333), (2, 512)], bert_ops)
    out["bert_large"] = lm_entry("bert_large", "meta", [(1, 7), (3, 333), (2, 512)], bert_ops)
    out["t5_small"] = lm_entry("t5_small", "cpu", [(1, 7), (3, 333)], t5_ops,
                               encoder_decoder=True)
    out["t5_base"] = lm_entry("t5_base", "meta", LM_POINTS, t5_ops, encoder_decoder=True)
    for name in ("llama2_7b", "llama2_13b", "llama2_70b", "llama3_8b", "llama3_70b",
                 "mistral_7b"):
        out[name] = lm_entry(name, "meta", LM_POINTS, llama_ops)
    out["mixtral_8x7b"] = lm_entry("mixtral_8x7b", "meta", LM_POINTS, llama_ops,
                                   cfg_extra={"experts_implementation": H.EXPERTS})
    out["vit_b_16"] = vit_entry("vit_b_16", [(1, 224), (3, 224), (2, 384)])
    out["vit_l_16"] = vit_entry("vit_l_16", [(1, 224)])
    out["swin_t"] = swin_entry("swin_t", [(1, 224), (2, 224)])
    return out


# --- tiny probes -----------------------------------------------------------------------------
TINY = {
    "gpt2": ("GPT2Config", "GPT2LMHeadModel", gpt2_ops,
             dict(n_layer=1, n_embd=64, n_head=4, vocab_size=100, n_positions=32)),
    "llama_gqa": ("LlamaConfig", "LlamaForCausalLM", llama_ops,
                  dict(vocab_size=100, hidden_size=64, intermediate_size=96,
                       num_hidden_layers=1, num_attention_heads=4, num_key_value_heads=2,
                       max_position_embeddings=64)),
    "mistral_window3": ("MistralConfig", "MistralForCausalLM", llama_ops,
                        dict(vocab_size=100, hidden_size=64, intermediate_size=96,
                             num_hidden_layers=1, num_attention_heads=4,
                             num_key_value_heads=2, max_position_embeddings=64,
                             sliding_window=3)),
    "bert": ("BertConfig", "BertModel", bert_ops,
             dict(vocab_size=100, hidden_size=64, num_hidden_layers=1, num_attention_heads=4,
                  intermediate_size=96, max_position_embeddings=32)),
    "t5": ("T5Config", "T5ForConditionalGeneration", t5_ops,
           dict(vocab_size=100, d_model=64, d_kv=16, d_ff=96, num_layers=1,
                num_decoder_layers=1, num_heads=4)),
}
_MIXTRAL_TINY = dict(vocab_size=100, hidden_size=64, intermediate_size=96, num_hidden_layers=1,
                     num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                     num_local_experts=4, num_experts_per_tok=2)
for _impl in ("grouped_mm", "eager", "batched_mm"):
    TINY[f"mixtral_4x2_{_impl}"] = ("MixtralConfig", "MixtralForCausalLM", llama_ops,
                                    dict(_MIXTRAL_TINY, experts_implementation=_impl))
TINY_POINTS = [(2, 5), (3, 7)]


def _tiny_hf(label, config_name, model_name, formula, cfg):
    tf = H.transformers()
    out = {"class": model_name, "config": cfg, "points": {}}
    for device in ("cpu", "meta"):
        for B, T in TINY_POINTS:
            key = f"{device}_{B}x{T}"
            torch.manual_seed(B * 100 + T)
            config = getattr(tf, config_name)(**cfg, attn_implementation=H.ATTN)
            with H._device(device):
                model = getattr(tf, model_name)(config).eval()
            inputs = {"input_ids": H.token_inputs(B, T, device, seed=T)}
            if label == "t5":
                inputs["decoder_input_ids"] = H.token_inputs(B, T, device, seed=T + 1)
            try:
                bd = H.fcm_breakdown(model, inputs)
            except Exception as exc:  # data-dependent code on meta
                out["points"][key] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
                continue
            _check(label, key, bd["Global"], formula(cfg, B, T))
            out["points"][key] = {"B": B, "T": T, "modules": bd}
    return out


def _tiny_tv():
    tv = H._torchvision_models()
    out = {}
    vit_cfg = dict(image_size=32, patch_size=8, num_layers=1, num_heads=4, hidden_dim=64,
                   mlp_dim=96, num_classes=10)
    vit_cfg2 = dict(vit_cfg, image_size=24)
    for label, cfg in (("vit_img32_p8", vit_cfg), ("vit_img24_p8", vit_cfg2)):
        entry = {"class": "torchvision.models.VisionTransformer", "config": cfg, "points": {}}
        for B in (1, 2, 3):
            x = torch.randn(B, 3, cfg["image_size"], cfg["image_size"])
            model = tv.VisionTransformer(**cfg).eval()
            for mode in ("eval", "train", "meta"):
                if mode == "train":
                    model.train()
                if mode == "meta":
                    with torch.device("meta"):
                        model = tv.VisionTransformer(**cfg).eval()
                    x = torch.empty(x.shape, device="meta")
                bd = H.fcm_breakdown(model, x)
                _check(label, (B, mode), bd["Global"], vit_ops(cfg, B, mode))
                entry["points"][f"{mode}_B{B}"] = {"B": B, "modules": bd}
        out[label] = entry
    swin_cfg = dict(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4],
                    window_size=[4, 4], num_classes=10)
    entry = {"class": "torchvision.models.SwinTransformer", "config": swin_cfg, "points": {}}
    for B, img in ((2, 32), (3, 64)):
        model = tv.SwinTransformer(**swin_cfg).eval()
        bd = H.fcm_breakdown(model, torch.randn(B, 3, img, img))
        _check("swin", (B, img), bd["Global"], swin_ops(swin_cfg, B, img))
        entry["points"][f"B{B}_img{img}"] = {"B": B, "image_size": img, "modules": bd}
    out["swin_dim16_w4"] = entry
    return out


def tiny():
    out = {label: _tiny_hf(label, *spec) for label, spec in TINY.items()}
    out.update(_tiny_tv())
    print("tiny probes: every closed form matched", flush=True)
    return out


def build():
    return {"about": __doc__.strip().splitlines()[0],
            "source": _source("see each entry"),
            "zoo": zoo(), "tiny": tiny()}


def _strip_times(doc):
    return {**doc, "zoo": {k: {kk: vv for kk, vv in v.items() if kk != "seconds"}
                           for k, v in doc["zoo"].items()}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the fixture")
    args = parser.parse_args(argv)
    doc = build()
    if args.check:
        old = json.loads(FIXTURE.read_text())
        same = _strip_times(old) == _strip_times(doc)
        print("fixture up to date" if same else "fixture differs")
        return 0 if same else 1
    FIXTURE.write_text(json.dumps(doc, indent=1) + "\n")
    print("wrote", FIXTURE.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
