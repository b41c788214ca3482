"""How fast symcost.strategies draws: layers per kind and whole networks.

Run: python benchmarks/bench_strategies.py
Target (issue 11): drawing one layer well under a millisecond, so that st.from_type(...)
never trips hypothesis' too_slow health check, even on a busy machine.
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symcost as sc
from symcost import strategies as sst
from symcost.spec import LAYER_TYPES

EXAMPLES = 200


def per_draw(strategy) -> float:
    """Mean seconds per example of a test that only draws (hypothesis' own overhead in)."""
    count = 0

    @settings(max_examples=EXAMPLES, database=None, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(value):
        nonlocal count
        count += 1

    start = time.perf_counter()
    draw()
    return (time.perf_counter() - start) / max(count, 1)


def main() -> None:
    print(f"{'strategy':40} {'ms per example':>15}")
    rows = [(f"from_type({cls.__name__})", st.from_type(cls)) for cls in LAYER_TYPES]
    rows.append(("networks(max_layers=6)", sst.networks(max_layers=6)))
    worst = 0.0
    for label, strategy in rows:
        ms = per_draw(strategy) * 1e3
        worst = max(worst, ms) if label.startswith("from_type") else worst
        print(f"{label:40} {ms:15.3f}")
    print(f"slowest layer kind: {worst:.3f} ms per example")


if __name__ == "__main__":
    sc.__name__  # noqa: B018  (the hypothesis entry point registers from_type on import)
    main()
