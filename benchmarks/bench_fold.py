"""Time BatchNorm folding on the zoo, and the numeric folding of weights.

    python3 benchmarks/bench_fold.py [--markdown] [NAME ...]

Per model: milliseconds for ``fold_batchnorm`` (best of 3), the BatchNorms folded and kept,
and the seconds to cost the folded network under ``macs`` at 224×224 (checked equal to the
original's MACs). Then the time of ``fold_conv_bn`` on a ResNet-50-sized 3×3 conv (512→512)
and on a depthwise one (best of 5). ``fold_proof`` is timed once (it runs sympy).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zoo_table import models_and_format, print_table

import symcost as sc

IMAGE = sc.Shape(C=3, H=224, W=224)


def best_of(n: int, fn) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench(name: str) -> dict:
    net = sc.zoo.get(name).build()
    seconds, result = best_of(3, lambda: sc.fold_batchnorm(net))
    t0 = time.perf_counter()
    after = result.network.cost(IMAGE, "macs").total.macs
    cost_s = time.perf_counter() - t0
    assert after == net.cost(IMAGE, "macs").total.macs, name
    return {"model": name, "fold_ms": seconds * 1e3, "folded": len(result.report.folded),
            "kept": len(result.report.kept), "cost_s": cost_s}


def main(argv=None) -> int:
    names, markdown = models_and_format(__doc__.splitlines()[0], argv)
    rows = [bench(n) for n in names]
    print_table(rows, [("fold_ms", "fold ms", 8, ".2f"), ("folded", "folded", 7, "d"),
                       ("kept", "kept", 5, "d"), ("cost_s", "cost folded s", 14, ".3f")],
                markdown)
    print(f"\n{len(rows)} models: fold total {sum(r['fold_ms'] for r in rows):.1f} ms (max "
          f"{max(r['fold_ms'] for r in rows):.2f} ms), {sum(r['folded'] for r in rows)} "
          f"BatchNorms folded, {sum(r['kept'] for r in rows)} kept")
    rng = np.random.default_rng(0)
    for label, shape in (("conv 3x3 512->512", (512, 512, 3, 3)),
                         ("depthwise 3x3 x960", (960, 1, 3, 3))):
        w = rng.normal(size=shape)
        c = shape[0]
        stats = [rng.normal(size=c) for _ in range(3)] + [rng.uniform(0.5, 2, size=c)]
        s, _ = best_of(5, lambda w=w, stats=stats: sc.fold_conv_bn(w, None, *stats))
        print(f"fold_conv_bn {label}: {s * 1e3:.2f} ms")
    t0 = time.perf_counter()
    sc.fold_proof()
    print(f"fold_proof: {(time.perf_counter() - t0) * 1e3:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
