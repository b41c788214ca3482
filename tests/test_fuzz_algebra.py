"""Fuzz: no size expression the parser accepts makes costing run away (issue 12).

Random expressions (large powers, products, nested floors and ceilings, min/max, exact
divisions) go into layer fields, input axes and Custom counts, and random chains of
ceil-mode pools (whose output sizes used to double per layer) are costed. Each case must be
costed, printed, put in a ratio, evaluated and lambdified at small values, or refused with
a SymcostError. A
watchdog far above the expected time turns a hang into a failure without making the test
depend on the machine's speed; the time of each case is recorded, and ``-m slow -s`` prints
the slowest.
"""

from __future__ import annotations

import signal
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symcost as sc

NAMES = ("H", "W", "C", "K")
SLOWEST: list[tuple[float, str]] = []


def _leaves():
    return st.one_of(st.sampled_from(NAMES), st.integers(1, 64).map(str))


def _grow(inner):
    return st.one_of(
        st.tuples(inner, inner).map(lambda t: f"({t[0]} + {t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]} * {t[1]})"),
        st.tuples(inner, st.sampled_from([2, 3, 8, 32, 64])).map(lambda t: f"({t[0]})**{t[1]}"),
        st.tuples(inner, inner).map(lambda t: f"floor({t[0]} / {t[1]})"),
        st.tuples(inner, st.integers(2, 7)).map(lambda t: f"ceil({t[0]} / {t[1]})"),
        st.tuples(inner, st.integers(2, 7)).map(lambda t: f"({t[0]}) // {t[1]}"),
        st.tuples(inner, inner).map(lambda t: f"max({t[0]}, {t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"min({t[0]}, {t[1]})"),
        st.tuples(inner, st.integers(1, 9)).map(lambda t: f"({t[0]} - {t[1]})"),
    )


expressions = st.recursive(_leaves(), _grow, max_leaves=12)


@st.composite
def cases(draw):
    what = draw(st.sampled_from(["custom", "conv", "pools"]))
    shape = {"C": draw(st.one_of(st.just("C"), expressions)),
             "H": draw(st.one_of(st.just("H"), expressions)),
             "W": draw(st.one_of(st.just("W"), expressions))}
    if what == "custom":
        spec = {"kind": "custom", "counts": {"mac": draw(expressions),
                                             "add": draw(expressions)},
                "params": draw(expressions)}
    elif what == "conv":
        spec = {"kind": "conv2d", "in_channels": shape["C"], "out_channels": draw(expressions),
                "kernel_size": draw(st.one_of(st.integers(1, 3).map(str), expressions)),
                "padding": draw(st.sampled_from(["same", "1", "K"])), "bias": True}
    else:
        pools = []
        for _ in range(draw(st.integers(1, 8))):
            k = draw(st.integers(1, 4))
            pools.append({"kind": draw(st.sampled_from(["max_pool2d", "avg_pool2d"])),
                          "kernel_size": k, "stride": draw(st.integers(1, 3)),
                          "padding": draw(st.integers(0, k // 2)), "ceil_mode": True})
        spec = {"kind": "sequential", "layers": pools}
    convention = draw(st.sampled_from(["seed", "macs", "flops", "fvcore", "thop"]))
    values = {n: draw(st.integers(1, 6)) for n in NAMES}
    return shape, spec, convention, values


def _expire(*_):
    raise TimeoutError("a case ran for 60 s: costing ran away")


def run_case(shape, spec, convention, values) -> str:
    previous = signal.signal(signal.SIGALRM, _expire)
    signal.alarm(60)
    start = time.process_time()
    try:
        try:
            network = sc.load(_doc(spec))
            result = network.analyze(sc.Shape(**shape), convention)
        except sc.SymcostError:
            return "refused"
        result.to_text()  # the report prints every formula
        if result.total.flops != 0:
            sc.ratio(result.total, result.total.map(lambda e: 2 * e), metric="flops")
        symbols = {s.name for s in result.total.free_symbols}
        at = {k: v for k, v in values.items() if k in symbols}
        try:
            numbers = result.total.evaluate(at)
        except sc.SymcostError:
            outcome = "refused at the values"
        else:
            outcome = "costed"
            f = result.total.lambdify(*sorted(at), metric="flops")
            assert f(**at) == numbers.flops
        return outcome
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        SLOWEST.append((time.process_time() - start, repr((shape, spec, convention))))


def _doc(spec) -> str:
    import json

    return json.dumps({"symcost": 1, "symbols": {n: {} for n in NAMES}, "network": spec})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_every_expression_is_costed_or_refused(case):
    run_case(*case)


@pytest.mark.slow
@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_every_expression_is_costed_or_refused_many(case):
    run_case(*case)


@pytest.mark.slow
def test_report_the_slowest_case():
    if SLOWEST:
        seconds, case = max(SLOWEST)
        print(f"\nslowest of {len(SLOWEST)} fuzz cases: {seconds:.2f} s CPU: {case[:300]}")


@pytest.mark.parametrize("case", [
    ({"C": "C", "H": "H", "W": "W"}, {"kind": "custom", "counts": {
        "mac": "(H+1)**64*(W+1)**64*(C+1)**64", "add": "1"}}, "flops", dict.fromkeys(NAMES, 2)),
    ({"C": "(C+1)**64", "H": "(K+1)**64", "W": "W"}, {
        "kind": "conv2d", "in_channels": "(C+1)**64", "out_channels": 8, "kernel_size": 3},
     "flops", dict.fromkeys(NAMES, 2)),
    ({"C": "C", "H": "H", "W": "W"}, {"kind": "sequential", "layers": [
        {"kind": "max_pool2d", "kernel_size": 2, "stride": 2, "padding": 1,
         "ceil_mode": True}] * 8}, "seed", dict.fromkeys(NAMES, 5)),
    ({"C": "C", "H": "floor(floor(floor(H/3 + W)/5 + K)/7) * ceil(ceil(H/2)/3)", "W": "W"},
     {"kind": "relu"}, "flops", dict.fromkeys(NAMES, 4)),
])
def test_known_blow_ups_are_costed(case):
    assert run_case(*case) in ("costed", "refused at the values")
