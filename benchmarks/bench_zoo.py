"""Time the zoo: building each model's symbolic cost, compiling it, evaluating it.

    python3 benchmarks/bench_zoo.py [--markdown] [NAME ...]

Per model: seconds to build the spec and its cost under ``macs`` with H, W declared
multiples of 32 (``build32``) and with plain H, W (``build``, exact floors kept); seconds
to compile the plain formula with ``Cost.lambdify`` (``compile``); milliseconds to evaluate
it on 1,000 resolutions given as NumPy int64 arrays (``1000 evals``, best of 5). Every
evaluated value is checked against ``Cost.evaluate`` on a sample.
Targets (issue 4): build ≤ 0.5 s per model, ≤ 10 s for the whole zoo, ≤ 10 ms per 1,000
evaluations.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zoo_table import models_and_format, print_table

import symcost as sc


def bench(name: str, sizes: np.ndarray) -> dict:
    entry = sc.zoo.get(name)
    h32, w32 = sc.dim("H", multiple_of=32), sc.dim("W", multiple_of=32)
    t0 = time.perf_counter()
    entry.build().cost(sc.Shape(C=3, H=h32, W=w32), "macs")
    t1 = time.perf_counter()
    result = entry.build().cost(sc.Shape(C=3, H=sc.dim("H"), W=sc.dim("W")), "macs")
    t2 = time.perf_counter()
    fn = result.total.lambdify("H", "W")
    t3 = time.perf_counter()
    h, w = sizes[:, 0], sizes[:, 1]
    best = float("inf")
    for _ in range(5):
        s = time.perf_counter()
        values = fn(H=h, W=w)
        best = min(best, time.perf_counter() - s)
    for i in (0, len(sizes) // 2, len(sizes) - 1):
        exact = result.total.evaluate(H=int(h[i]), W=int(w[i])).macs
        assert int(values[i]) == exact, (name, h[i], w[i], values[i], exact)
    return {"model": name, "build32": t1 - t0, "build": t2 - t1, "compile": t3 - t2,
            "eval_ms": best * 1e3}


def main(argv=None) -> int:
    names, markdown = models_and_format(__doc__.splitlines()[0], argv)
    rng = np.random.default_rng(0)
    sizes = rng.integers(64, 1025, size=(1000, 2), dtype=np.int64)
    rows = [bench(n, sizes) for n in names]
    print_table(rows, [("build32", "build32 s", 10, ".3f"), ("build", "build s", 8, ".3f"),
                       ("compile", "compile s", 10, ".3f"),
                       ("eval_ms", "1000 evals ms", 14, ".2f")], markdown)
    total32 = sum(r["build32"] for r in rows)
    total = sum(r["build"] for r in rows)
    print(f"\n{len(rows)} models: build32 total {total32:.2f} s (max "
          f"{max(r['build32'] for r in rows):.3f}), build total {total:.2f} s (max "
          f"{max(r['build'] for r in rows):.3f}), 1000 evals max "
          f"{max(r['eval_ms'] for r in rows):.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
