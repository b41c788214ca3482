"""The attack classes of tests/attacks.py against symcost: outcomes and the slowest answer.

Run: PYTHONPATH=. python benchmarks/fuzz_attacks.py
Target (issue 6): every input rejected with a SymcostError (or loaded) within 1 s, nothing
run (the sentinel file the payloads try to create never appears), no other exception.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import symcost as sc
from tests.attacks import GENERATORS, run


def main() -> int:
    """Print one row per attack class; exit status 1 if any target was missed."""
    sentinel = Path(tempfile.mkdtemp()) / "pwned"
    print(f"{'attack class':16} {'inputs':>6} {'rejected':>8} {'loaded':>6} {'other':>5} "
          f"{'slowest rejection':>17} {'slowest':>8}")
    bad = 0
    totals: Counter = Counter()
    for name, make in GENERATORS.items():
        outcomes: Counter = Counter()
        slowest_reject = slowest = 0.0
        for attack in make(sentinel):
            start = time.perf_counter()
            try:
                run(attack)
                outcome = "loaded"
            except sc.SymcostError:
                outcome = "rejected"
            except Exception as exc:
                outcome = "other"
                print(f"  {type(exc).__name__}: {exc!s:.80} <- {attack.label}")
            elapsed = time.perf_counter() - start
            outcomes[outcome] += 1
            slowest = max(slowest, elapsed)
            if outcome == "rejected":
                slowest_reject = max(slowest_reject, elapsed)
        totals.update(outcomes)
        bad += outcomes["other"] + (slowest > 1.0)
        print(f"{name:16} {sum(outcomes.values()):6} {outcomes['rejected']:8} "
              f"{outcomes['loaded']:6} {outcomes['other']:5} {slowest_reject * 1000:14.1f} ms "
              f"{slowest * 1000:6.1f} ms")
    print(f"{'total':16} {sum(totals.values()):6} {totals['rejected']:8} {totals['loaded']:6} "
          f"{totals['other']:5}")
    print(f"sentinel created: {sentinel.exists()}")
    return 1 if bad or sentinel.exists() else 0


if __name__ == "__main__":
    sys.exit(main())
