"""Never a number at an invalid value, never a different number (issue 12's property test).

Random networks with symbolic sizes (``out_channels="C-2"``, ``kernel_size="K"``,
``groups="G"``, ``Repeat(n="n-1")``, an input axis ``H-3``...) are evaluated at random values,
invalid ones included. The oracle substitutes the values into the *fields* first: if some
size is then not a whole number of at least 1, or the numeric network is refused, the values
are invalid; otherwise tests/executor.py runs the numeric network with counting numbers.
``evaluate``, ``subs``, ``lambdify`` and the ``symcost report`` command must then either all
agree exactly with the executed count, or all raise a SymcostError (exit status 2).
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest
import sympy
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import symcost as sc
from symcost.cli import main
from symcost.dims import parse
from tests.executor import run

SYMBOLS = ("N", "C", "D", "K", "T", "P", "G", "M", "n", "H", "W")
# positive-size fields by kind; all others of the templates are non-negative (padding)
ZERO_OK = {"padding"}


def _value(text, values):
    """A field's value at ``values``: an int, or None when it is not a valid size there."""
    if isinstance(text, (bool, int)):
        return text
    number = parse(text).xreplace({sc.dim(k): sympy.Integer(v) for k, v in values.items()})
    return int(number) if number.is_Integer else None


def _numeric(template, values):
    """The numeric spec of a template at ``values`` (None: some field is not a size)."""
    kind, fields, body = template
    out = {}
    for name, text in fields.items():
        value = _value(text, values)
        if value is None or (not isinstance(value, bool)
                             and value < (0 if name in ZERO_OK else 1)):
            return None
        out[name] = value
    if body is not None:
        inner = [_numeric(t, values) for t in body]
        if any(b is None for b in inner):
            return None
        out["body" if kind == "repeat" else "layers"] = inner[0] if kind == "repeat" else inner
    return {"kind": kind, **out}


def _symbolic(template):
    kind, fields, body = template
    out = {"kind": kind, **fields}
    if body is not None:
        inner = [_symbolic(t) for t in body]
        out["body" if kind == "repeat" else "layers"] = inner[0] if kind == "repeat" else inner
    return out


@st.composite
def _layer(draw, c: str, allow_repeat: bool = True):
    """(template, channels after it) for a feature map of ``c`` channels."""
    choice = draw(st.sampled_from(["conv", "conv", "depthwise", "max", "avg", "relu",
                                   "repeat" if allow_repeat else "relu"]))
    if choice == "conv":
        out = draw(st.sampled_from(["C", "C-2", "2*C", "C/2", "D", "D-3", "4"]))
        fields = {"in_channels": c, "out_channels": out,
                  "kernel_size": draw(st.sampled_from(["1", "3", "K", "K-1"])),
                  "stride": draw(st.sampled_from(["1", "2", "T"])),
                  "padding": draw(st.sampled_from(["0", "1", "P"])),
                  "groups": draw(st.sampled_from(["1", "1", "G"])),
                  "bias": draw(st.booleans())}
        return ("conv2d", fields, None), out
    if choice == "depthwise":
        m = draw(st.sampled_from(["1", "M-1"]))
        fields = {"in_channels": c, "kernel_size": draw(st.sampled_from(["3", "K"])),
                  "depth_multiplier": m, "padding": draw(st.sampled_from(["0", "1"]))}
        return ("depthwise_conv2d", fields, None), f"({c})*({m})"
    if choice in ("max", "avg"):
        kernel = draw(st.sampled_from(["2", "3", "K"]))
        # padding above half the window (K = 1 with padding 1) is refused by torch but not
        # yet by symcost (defect row 19, left to the pooling redesign): keep clear of it
        fields = {"kernel_size": kernel, "stride": draw(st.sampled_from(["1", "2"])),
                  "padding": "0" if kernel == "K" else draw(st.sampled_from(["0", "1"])),
                  "ceil_mode": draw(st.booleans())}
        return (f"{choice}_pool2d", fields, None), c
    if choice == "repeat":
        body = ("conv2d", {"in_channels": c, "out_channels": c, "kernel_size": "3",
                           "padding": "1"}, None)
        return ("repeat", {"n": draw(st.sampled_from(["2", "n-1", "n"]))}, [body]), c
    return ("relu", {}, None), c


@st.composite
def cases(draw):
    """(input template, network template, values): values are drawn small, some invalid."""
    c = draw(st.sampled_from(["C", "3", "C/2"]))
    h = draw(st.sampled_from(["H", "H-3", "2*H"]))
    shape = {"N": draw(st.sampled_from(["1", "N"])), "C": c, "H": h,
             "W": draw(st.sampled_from([h, "W"]))}
    layers = []
    for _ in range(draw(st.integers(1, 3))):
        template, c = draw(_layer(c))
        layers.append(template)
    values = {s: draw(st.integers(0, 7)) for s in SYMBOLS}
    return shape, ("sequential", {}, layers), values


def _cli_total(document: str, values: dict[str, int]) -> tuple[int, dict | None]:
    out, err = io.StringIO(), io.StringIO()
    args = ["report", document, "--format", "json", "--convention", "flops"]
    if values:
        args += ["--at", *(f"{k}={v}" for k, v in values.items())]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(args)
    return status, (json.loads(out.getvalue())["total"] if status == 0 else None)


def check_case(shape_t, net_t, values):
    try:
        shape = sc.Shape(**shape_t)
        net = sc.load(json.dumps({"symcost": 1, "symbols": {s: {} for s in SYMBOLS},
                                  "network": _symbolic(net_t)}))
        result = net.analyze(shape, "flops")
    except sc.SymcostError:
        return "refused when built"  # definitely invalid for every value: nothing to check
    symbols = set(result.total.free_symbols)
    for row in result.rows:
        symbols |= row.cost.free_symbols
    for axis in [*shape.axes().values(), *(r.output.axes().values() for r in result.rows)]:
        symbols |= axis.free_symbols if isinstance(axis, sympy.Basic) else set()
    for r in result.rows:
        for axis in r.output.axes().values():
            symbols |= axis.free_symbols
    at = {s.name: values[s.name] for s in symbols}

    # the oracle: the numeric network, executed
    expected = None
    numeric_shape = {k: _value(v, values) for k, v in shape_t.items()}
    numeric_net = _numeric(net_t, values)
    # every symbol is a size (dim() makes positive integers): a value below 1 is invalid
    # even where the field it appears in may be 0 (padding P = 0)
    if numeric_net is not None and all(v >= 1 for v in at.values()) and all(
            v is not None and v >= 1 for v in numeric_shape.values()):
        try:
            numeric = sc.load(json.dumps({"symcost": 1, "network": numeric_net}))
            concrete = sc.Shape(**numeric_shape)
            numeric.analyze(concrete, "flops")
        except sc.SymcostError:
            pass
        else:
            _, executed, _ = run(numeric, concrete)
            expected = executed

    document = sc.dump(net, input=shape)
    status, cli_total = _cli_total(document, at)
    names = sorted(at)
    if expected is None:
        with pytest.raises(sc.SymcostError):
            result.evaluate(at)
        with pytest.raises(sc.SymcostError):
            result.total.subs(at)
        with pytest.raises(sc.SymcostError):
            result.total.lambdify(*names, metric="flops")(**at)
        assert status == 2, f"the CLI printed a number at invalid values {at}"
        return "invalid"
    got = result.evaluate(at)
    assert {k: v for k, v in got.total.counts.items() if v} == expected, (net_t, at)
    assert result.total.lambdify(*names, metric="flops")(**at) == got.total.flops
    assert result.total.lambdify(*names, metric="macs")(**at) == got.total.macs
    subs = result.total.subs(at)
    assert (subs.macs, subs.flops, subs.params) == (got.total.macs, got.total.flops,
                                                    got.total.params)
    assert status == 0 and cli_total["flops"] == got.total.flops
    return "valid"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_every_path_agrees_with_the_executed_count_or_refuses(case):
    event(check_case(*case))


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_every_path_agrees_with_the_executed_count_or_refuses_many(case):
    event(check_case(*case))


@pytest.mark.parametrize("case, outcome", [
    # out_channels C-2 at C=2 is 0: invalid
    (({"N": "1", "C": "C", "H": "H", "W": "H"},
     ("sequential", {}, [("conv2d", {"in_channels": "C", "out_channels": "C-2",
                                     "kernel_size": "3", "padding": "1"}, None)]),
     dict.fromkeys(SYMBOLS, 2)), "invalid"),
    # kernel C/2 at C=3 is 3/2: invalid; at C=4 valid
    (({"N": "1", "C": "C", "H": "H", "W": "H"},
     ("sequential", {}, [("conv2d", {"in_channels": "C", "out_channels": "4",
                                     "kernel_size": "C/2"}, None)]),
     {**dict.fromkeys(SYMBOLS, 3), "H": 5}), "invalid"),
    (({"N": "1", "C": "C", "H": "H", "W": "H"},
     ("sequential", {}, [("conv2d", {"in_channels": "C", "out_channels": "4",
                                     "kernel_size": "C/2"}, None)]),
     {**dict.fromkeys(SYMBOLS, 4), "H": 5}), "valid"),
    # a repeat n-1 at n=1 has no copy: invalid
    (({"N": "1", "C": "3", "H": "H", "W": "H"},
     ("sequential", {}, [("repeat", {"n": "n-1"}, [("conv2d", {
         "in_channels": "3", "out_channels": "3", "kernel_size": "3", "padding": "1"},
         None)])]),
     {**dict.fromkeys(SYMBOLS, 1), "H": 4}), "invalid"),
])
def test_known_cases(case, outcome):
    assert check_case(*case) == outcome
