"""The ``symcost latency``, ``symcost solve`` and ``symcost hardware`` commands (wired into
:mod:`symcost.cli`; kept apart so the roofline's options live with the roofline)."""

from __future__ import annotations

from typing import Any

import sympy

from . import hardware

__all__ = ["add_commands", "COMMANDS"]


def add_commands(sub: Any, command: Any) -> None:
    """Add the three subcommands to the ``symcost`` parser."""
    lat = command(sub, "latency", "per-layer roofline latency of a network on a device",
                  "symcost latency llama3_8b --hw h100-sxm5 --dtype bf16 --at B=8 T=2048")
    lat.add_argument("network", help="a built-in network (symcost list) or a document")
    lat.add_argument("--hw", default="h100-sxm5",
                     help="a hardware preset (symcost hardware), a JSON/YAML spec, or 'cpu' "
                          "(measured now)")
    lat.add_argument("--dtype", default="bf16", help="dtype of peak and activations")
    lat.add_argument("--convention", default="macs", help="how FLOPs are counted")
    lat.add_argument("--efficiency", default="1", help="fraction of peak and bandwidth")
    lat.add_argument("--at", nargs="*", default=[], metavar="NAME=VALUE",
                     help="sizes; without them the table holds formulas")
    lat.add_argument("--format", default="text", choices=("text", "markdown", "latex"))
    sol = command(sub, "solve", "the largest size that keeps a metric under a budget",
                  "symcost solve gpt2 --metric flops --budget 1e12 --for T --at B=1")
    sol.add_argument("network", help="a built-in network (symcost list) or a document")
    sol.add_argument("--metric", default="flops", help="macs, flops, params, ...")
    sol.add_argument("--budget", required=True, help="the budget, e.g. 1e12")
    sol.add_argument("--for", dest="var", required=True, help="the size to solve for")
    sol.add_argument("--convention", default="macs", help="how FLOPs are counted")
    sol.add_argument("--at", nargs="*", default=[], metavar="NAME=VALUE",
                     help="values of the other sizes (NAME=OTHER ties two, e.g. W=H)")
    command(sub, "hardware", "hardware presets and their figures",
            "symcost hardware")


def _values(items: list[str]) -> dict[str, Any]:
    from .cli import _assignments

    out: dict[str, Any] = {}
    for name, text in _assignments(items, "--at").items():
        out[name] = int(text) if text.isascii() and text.isdigit() else text
    return out


def _network(name: str):
    from .cli import _resolve

    return _resolve(name, {}, {})


def _latency(args: Any) -> str:
    from .roofline import latency

    spec, shape = _network(args.network)
    hw = hardware.measure_cpu() if args.hw == "cpu" else hardware.get(args.hw)
    rf = latency(spec.analyze(shape, args.convention), hw, dtype=args.dtype,
                 efficiency=args.efficiency)
    values = _values(args.at)
    shown: Any = rf.evaluate(values) if values else rf
    return {"text": shown.to_text, "markdown": shown.to_markdown,
            "latex": shown.to_latex}[args.format]() + "\n"


def _solve(args: Any) -> str:
    from .solve import solve_max

    spec, shape = _network(args.network)
    result = spec.analyze(shape, args.convention)
    fixed = _values(args.at)
    names = {s.name for s in result._total.free_symbols}
    if args.var in ("H",) and "W" in names and "W" not in fixed:
        fixed["W"] = "H"  # W follows H, as in symcost report
    solution = solve_max(result, args.budget, args.var, metric=args.metric, **fixed)
    return str(solution) + "\n"


def _hardware(_: Any) -> str:
    head = ["name", "dtype", "dense FLOP/s", "sparse FLOP/s", "bandwidth B/s", "memory B"]
    rows = []
    for h in hardware.presets().values():
        for dtype, peak in h.peaks.items():
            sparse = h.sparse_peaks.get(dtype)
            rows.append([h.name, dtype, _num(peak), _num(sparse), _num(h.bandwidth),
                         _num(h.memory)])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths))).rstrip()
             for r in [head, *rows]]
    return "\n".join(lines) + "\n"


def _num(x: sympy.Expr | None) -> str:
    if x is None:
        return "-"
    return f"{int(x):.4g}" if x.is_Integer else f"{float(x):.4g}"


COMMANDS = {"latency": _latency, "solve": _solve, "hardware": _hardware}


