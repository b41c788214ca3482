"""From a PyTorch ResNet-50 to its closed form, against FlopCounterMode's per-run trace.

Run from the repository root: PYTHONPATH=. python benchmarks/bench_torch.py
Targets (issue 7): import + closed form <= 3 s; 1,000 resolutions <= 10 ms, against
~0.1-0.2 s per resolution for a peer tool's trace. Needs torch (extra 'torch') and numpy.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

import symcost as sc
from tests.torch_models import ResNet50


def cold_import_seconds() -> float:
    """from_torch + the symbolic cost in a fresh interpreter (imports excluded)."""
    code = ("import time, torch, symcost as sc\n"
            "from tests.torch_models import ResNet50\n"
            "model = ResNet50().eval()\n"
            "t = time.perf_counter()\n"
            "x = sc.Shape(N=1, C=3, H='H', W='W')\n"
            "sc.from_torch(model, x).cost(x, 'torch')\n"
            "print(time.perf_counter() - t)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    model = ResNet50().eval()
    x = sc.Shape(N=1, C=3, H="H", W="W")
    print(f"{'measurement':62} {'seconds':>10}")
    cold = statistics.median(cold_import_seconds() for _ in range(3))
    print(f"{'ResNet-50: from_torch + closed form, cold (target <= 3 s)':62} {cold:10.4f}")
    traced, built = [], []
    for _ in range(5):
        t = time.perf_counter()
        graph = sc.from_torch(model, x)
        traced.append(time.perf_counter() - t)
        cost = graph.cost(x, "torch")
        built.append(time.perf_counter() - t)
    print(f"{'ResNet-50: from_torch + closed form, warm (median of 5)':62} "
          f"{statistics.median(built):10.4f}")
    print(f"{'  of which from_torch (trace, sample run, mapping)':62} "
          f"{statistics.median(traced):10.4f}")

    f = cost.total.lambdify("H", "W", metric="flops")
    rng = np.random.default_rng(0)
    hs = rng.integers(96, 321, size=1000, dtype=np.int64)
    ws = rng.integers(96, 321, size=1000, dtype=np.int64)
    f(H=hs[:5], W=ws[:5])
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        values = f(H=hs, W=ws)
        runs.append(time.perf_counter() - t)
    print(f"{'symcost: 1,000 resolutions, lambdify (target <= 10 ms)':62} {min(runs):10.6f}")

    fcm, checked = [], 0
    with torch.no_grad():
        model(torch.zeros(1, 3, 64, 64))  # warm up
    for h, w in zip(hs[:10], ws[:10]):
        t = time.perf_counter()
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.zeros(1, 3, int(h), int(w)))
        fcm.append(time.perf_counter() - t)
        assert counter.get_total_flops() == int(values[checked]), (h, w)
        checked += 1
    per = statistics.median(fcm)
    print(f"{'FlopCounterMode: one resolution in 96..320 (median of 10)':62} {per:10.4f}")
    print(f"{'FlopCounterMode: 1,000 resolutions (extrapolated)':62} {per * 1000:10.1f}")
    print(f"symcost's 1,000 values equal FlopCounterMode at the {checked} resolutions run.")


if __name__ == "__main__":
    main()
