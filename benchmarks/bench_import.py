"""What ``import symcost`` costs on top of sympy and pydantic, in fresh interpreters.

Run: python benchmarks/bench_import.py
Target (issue 11): at most 0.3 s added to importing sympy and pydantic. The figure is the
best of several runs (the least disturbed by other work on the machine); the median is shown
beside it.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

RUNS = 9
CODE = ("import time, sympy, pydantic\n"
        "t = time.perf_counter()\n"
        "import symcost\n"
        "print(time.perf_counter() - t)\n")


def added_seconds() -> float:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                         check=True)
    return float(out.stdout)


def main() -> None:
    times = sorted(added_seconds() for _ in range(RUNS))
    print(f"import symcost after sympy and pydantic, {RUNS} fresh interpreters:")
    print(f"  best {times[0]:.3f} s, median {statistics.median(times):.3f} s "
          f"(target <= 0.300 s)")


if __name__ == "__main__":
    main()
