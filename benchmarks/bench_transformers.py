"""Time the transformer zoo: building a language model's closed form in (B, T), and
evaluating it at a million (B, T) points.

    python3 benchmarks/bench_transformers.py [NAME ...]

Per model (default: every language model of the zoo): seconds to build the spec and its
cost under ``torch`` with symbolic B and T, the first time in the process (``first``:
sympy's caches cold for this model) and the best of 3 more (``build``); seconds to compile
the FLOP formula with ``Cost.lambdify`` (``compile``); seconds to evaluate it on 10⁶
(B ≤ 64, T ≤ 512) points given as NumPy int64 arrays (``1e6 evals``, best of 5). Values at
three points are checked against ``Cost.evaluate``. Then the same decoder at 1, 8 and 80
layers (``sc.zoo.decoder_lm``): the build time must not grow with the depth, since a
``Repeat`` of identical blocks is priced once.
Targets (issue 13): build ≤ 0.5 s for llama3_70b, 10⁶ points ≤ 0.1 s.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import symcost as sc


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _first(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench(name: str, b: np.ndarray, t: np.ndarray) -> dict:
    entry = sc.zoo.get(name)
    x = entry.input()
    first = _first(lambda: entry.build().cost(x, "torch"))
    build, result = _best(lambda: entry.build().cost(x, "torch"), 3)
    start = time.perf_counter()
    fn = result.total.lambdify("B", "T", metric="flops")
    compile_s = time.perf_counter() - start
    evals, values = _best(lambda: fn(B=b, T=t), 5)
    for i in (0, len(b) // 2, len(b) - 1):
        exact = result.total.evaluate(B=int(b[i]), T=int(t[i])).flops
        assert int(values[i]) == exact, (name, b[i], t[i], values[i], exact)
    return {"model": name, "first": first, "build": build, "compile": compile_s,
            "evals": evals}


def depth_scaling() -> list[tuple[int, float, float]]:
    B, T = sc.dims("B T")
    rows = []
    for layers in (1, 8, 80):
        def build(layers=layers):
            net = sc.zoo.decoder_lm(n_layers=layers, d_model=8192, n_heads=64, d_ff=28672,
                                    vocab=128256, n_kv_heads=8, norm="rmsnorm", mlp="swiglu",
                                    bias=False, tie_embeddings=False)
            return net.cost(sc.Shape(N=B, L=T), "torch").total
        rows.append((layers, _first(build), _best(build, 3)[0]))
    return rows


def main(argv=None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or [
        n for n in sc.zoo.list() if sc.zoo.get(n).input().names == ("N", "L")]
    rng = np.random.default_rng(0)
    b = rng.integers(1, 65, size=1_000_000, dtype=np.int64)
    t = rng.integers(1, 513, size=1_000_000, dtype=np.int64)  # BERT takes up to 512
    print(f"{'model':16} {'first s':>8} {'build s':>8} {'compile s':>10} {'1e6 evals s':>12}")
    for name in names:
        r = bench(name, b, t)
        print(f"{r['model']:16} {r['first']:8.3f} {r['build']:8.3f} {r['compile']:10.3f} "
              f"{r['evals']:12.4f}")
    print("\ndecoder_lm (LLaMA-3-70B widths) build time by depth (first, best of 3):")
    for layers, first, best in depth_scaling():
        print(f"  {layers:3d} layers: {first:.3f} s, {best:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
