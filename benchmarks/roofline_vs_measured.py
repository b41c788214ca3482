"""Roofline prediction against measured per-layer latency on this CPU (a benchmark, not a test).

Measures the CPU with ``symcost.hardware.measure_cpu()``, prices ResNet-50 (torchvision,
imported with ``sc.from_torch``) and GPT-2 (Hugging Face, the real config, random weights)
with the roofline in fp32, times each leaf module with forward hooks (median of repeats),
and prints per model the Spearman rank correlation over layers and the median
measured/predicted ratio.

    python benchmarks/roofline_vs_measured.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _spearman(a: list[float], b: list[float]) -> float:
    def ranks(x):
        order = sorted(range(len(x)), key=lambda i: x[i])
        r = [0.0] * len(x)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and x[order[j + 1]] == x[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2
            i = j + 1
        return r
    ra, rb = ranks(a), ranks(b)
    ma, mb = statistics.fmean(ra), statistics.fmean(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5
    vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return cov / (va * vb)


def _folded(name: str) -> str:
    """A module path with its block indices folded (``transformer.h.3.attn`` →
    ``transformer.h.*.attn``): the zoo prices a Repeat's copies in the rows of copy 0."""
    return re.sub(r"\.\d+(?=\.|$)", ".*", name)


def _time_modules(model, inputs, names, repeats):
    """Median time of each named module over ``repeats`` forwards, summed over the modules
    that fold to the same name."""
    import torch

    times: dict[str, list[float]] = {n: [] for n in names}
    starts: dict[str, float] = {}
    handles = []
    for n, m in model.named_modules():
        if n not in names:
            continue
        handles.append(m.register_forward_pre_hook(
            lambda mod, inp, n=n: starts.__setitem__(n, time.perf_counter())))
        handles.append(m.register_forward_hook(
            lambda mod, inp, out, n=n: times[n].append(time.perf_counter() - starts[n])))
    with torch.no_grad():
        model(*inputs)  # warm-up
        for v in times.values():
            v.clear()
        for _ in range(repeats):
            model(*inputs)
    for h in handles:
        h.remove()
    folded: dict[str, float] = {}
    for n, v in times.items():
        if v:
            folded[_folded(n)] = folded.get(_folded(n), 0.0) + statistics.median(v)
    return folded


def _compare(label, rf_values, model, inputs, repeats):
    """Each leaf row's predicted time goes to the deepest module of ``model`` its path lies
    in (indices folded), so a spec named otherwise below a module (the zoo's q_proj, k_proj,
    v_proj against GPT-2's c_attn) still meets it; modules that hold another compared
    module are left out (their time would count twice)."""
    modules = {n for n, _ in model.named_modules() if n}
    folded = {_folded(n) for n in modules}
    predicted: dict[str, float] = {}
    for r in rf_values.rows:
        parts = _folded(r.path).split(".")
        owner = next((".".join(parts[:i]) for i in range(len(parts), 0, -1)
                      if ".".join(parts[:i]) in folded), None)
        if owner is not None and r.time > 0:
            predicted[owner] = predicted.get(owner, 0.0) + float(r.time)
    predicted = {k: v for k, v in predicted.items()
                 if not any(o.startswith(k + ".") for o in predicted)}
    measured = _time_modules(model, inputs,
                             {n for n in modules if _folded(n) in predicted}, repeats)
    keys = [k for k in predicted if k in measured]
    p = [predicted[k] for k in keys]
    m = [measured[k] for k in keys]
    rho = _spearman(p, m)
    ratio = statistics.median(mi / pi for mi, pi in zip(m, p))
    print(f"{label}: {len(keys)} modules, Spearman {rho:.3f}, median measured/predicted "
          f"{ratio:.2f}, total measured {sum(m) * 1e3:.1f} ms vs predicted "
          f"{sum(p) * 1e3:.1f} ms")
    return rho, ratio


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    import torch

    import symcost as sc
    from tests.torchvision_compat import import_torchvision

    torch.manual_seed(0)
    torch.set_num_threads(torch.get_num_threads())
    hw = sc.hardware.measure_cpu()
    print(f"CPU: fp32 peak {float(hw.peak('fp32')) / 1e9:.1f} GFLOP/s, copy bandwidth "
          f"{float(hw.bandwidth) / 1e9:.1f} GB/s, torch threads {torch.get_num_threads()}")

    tv = import_torchvision()
    resnet = tv.models.resnet50().eval()
    img = sc.Shape(N=1, C=3, H=224, W=224)
    net = sc.from_torch(resnet, img)
    rf = net.cost(img, "torch").latency(hw, dtype="fp32").evaluate()
    _compare("ResNet-50 (1x3x224x224)", rf, resnet, (torch.randn(1, 3, 224, 224),),
             args.repeats)

    from transformers import GPT2Config, GPT2LMHeadModel

    cfg = GPT2Config(attn_implementation="eager")
    gpt2 = GPT2LMHeadModel(cfg).eval()
    B, T = 1, 256
    res = sc.zoo.gpt2().cost(sc.Shape(N=B, L=T), "torch")
    rf = res.latency(hw, dtype="fp32").evaluate()
    ids = torch.randint(0, cfg.vocab_size, (B, T))
    _compare(f"GPT-2 124M (B={B}, T={T})", rf, gpt2, (ids,), args.repeats)


if __name__ == "__main__":
    main()
