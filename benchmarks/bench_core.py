"""Core speed: building MobileNetV1's symbolic cost, and 10**6 evaluations via lambdify.

Run: python benchmarks/bench_core.py
Targets (issue 2): build <= 0.3 s; 10**6 evaluations <= 0.1 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import numpy as np

import symcost as sc


def build(multiple: bool):
    m = 32 if multiple else None
    h, w = sc.dim("H", multiple_of=m), sc.dim("W", multiple_of=m)
    return sc.zoo.mobilenet_v1().cost(sc.Shape(C=3, H=h, W=w), "macs")


def cold_build_seconds(multiple: bool) -> float:
    """Build in a fresh interpreter, so no sympy cache helps (import time excluded)."""
    code = ("import time, symcost as sc\n"
            f"m = {32 if multiple else None}\n"
            "t = time.perf_counter()\n"
            "h, w = sc.dim('H', multiple_of=m), sc.dim('W', multiple_of=m)\n"
            "sc.zoo.mobilenet_v1().cost(sc.Shape(C=3, H=h, W=w), 'macs')\n"
            "print(time.perf_counter() - t)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return float(out.stdout)


def main() -> None:
    print(f"{'measurement':58} {'seconds':>10}")
    for multiple in (True, False):
        label = "H, W multiples of 32" if multiple else "plain H, W (exact floors)"
        cold = statistics.median(cold_build_seconds(multiple) for _ in range(3))
        print(f"{'build MobileNetV1 cost, cold, ' + label:58} {cold:10.4f}")
        warm = []
        for _ in range(5):
            t = time.perf_counter()
            build(multiple)
            warm.append(time.perf_counter() - t)
        print(f"{'build MobileNetV1 cost, warm, ' + label:58} {min(warm):10.4f}")

        total = build(multiple).total
        f = total.lambdify("H", "W")
        rng = np.random.default_rng(0)
        step = 32 if multiple else 1
        hs = rng.integers(1, 64, size=10**6, dtype=np.int64) * step + (0 if multiple else 31)
        ws = rng.integers(1, 64, size=10**6, dtype=np.int64) * step + (0 if multiple else 31)
        f(H=hs[:10], W=ws[:10])  # compile and warm up
        times = []
        for _ in range(5):
            t = time.perf_counter()
            out = f(H=hs, W=ws)
            times.append(time.perf_counter() - t)
        check = total.evaluate(H=int(hs[7]), W=int(ws[7])).macs
        assert int(out[7]) == check, "lambdify disagrees with evaluate"
        print(f"{'10**6 evaluations via lambdify (numpy), ' + label:58} {min(times):10.4f}")


if __name__ == "__main__":
    main()
