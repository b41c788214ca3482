"""Roofline latency: each layer's time as ``Max(flops/peak, bytes/bandwidth)``, symbolic.

The FLOPs are the network result's (its convention prices them); the bytes a layer moves are
derived from its census: the input elements it reads, the output elements it writes and the
weights it reads (parameters and buffers; an embedding reads only the rows it looks up, a
tied head reads its weight though it owns no parameter), each element ``dtype``'s width.
An attention layer's inputs include its keys and values over every attended position, so a
decode step with a ``("prefix", P)`` mask reads the KV cache. ``efficiency`` scales the peak
and the bandwidth (one number for both, or a ``(compute, memory)`` pair).

>>> import symcost as sc
>>> B, T = sc.dims("B T")
>>> res = sc.Sequential(layers=[sc.Linear(in_features=4096, out_features=4096, bias=False)]
...                     ).cost(sc.Shape(N=B, L=T, D=4096), "macs")
>>> rf = sc.roofline.latency(res, "h100-sxm5", dtype="bf16")
>>> rf.rows[0].bytes
16384*B*T + 33554432
>>> rf.evaluate(B=1, T=1).rows[0].bound
'memory'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import sympy

from .errors import SymcostError, did_you_mean
from .hardware import DTYPE_BYTES, Hardware, exact_number, get

__all__ = ["latency", "Roofline", "RooflineRow", "RooflineValues", "RowValues",
           "moved_bytes"]


def moved_bytes(census: Any, act_bytes: int, weight_bytes: int, *,
                activations: bool = True) -> sympy.Expr:
    """Bytes one layer moves: inputs read + outputs written + weights read.

    With ``activations=False`` (activations kept on chip between fused layers) only the
    weights and an attention's keys and values (the KV cache) are read from memory."""
    weights = sympy.sympify(census.params) + sympy.sympify(census.buffers)
    if census.family == "embedding":
        weights = sympy.sympify(census.outputs)  # only the looked-up rows are read
    elif census.attrs.get("tied") and "rows" in census.attrs:
        rows = census.attrs["rows"]
        weights = sympy.sympify(census.inputs) * census.outputs / rows / rows  # in*out
    if activations:
        return act_bytes * (census.inputs + census.outputs) + weight_bytes * weights
    a = census.attrs
    if census.family == "sdpa" and {"batch", "kv_heads", "keys", "head_dim"} <= set(a):
        kv = a["batch"] * a["kv_heads"] * a["keys"] * (a["head_dim"] + a.get("value_dim",
                                                                                a["head_dim"]))
        return act_bytes * kv + weight_bytes * weights
    return weight_bytes * weights


@dataclass(frozen=True)
class RooflineRow:
    """One leaf layer: its FLOPs and bytes (``count`` copies included), arithmetic
    intensity (FLOP/byte), compute and memory times, ``time`` = their Max, and ``bound``:
    ``"compute"``, ``"memory"`` or, while symbols leave it open, ``"depends"``."""

    path: str
    kind: str
    count: sympy.Expr
    flops: sympy.Expr
    bytes: sympy.Expr
    compute_time: sympy.Expr
    memory_time: sympy.Expr

    @property
    def time(self) -> sympy.Expr:
        return sympy.Max(self.compute_time, self.memory_time)

    @property
    def intensity(self) -> sympy.Expr:
        return sympy.cancel(self.flops / self.bytes) if self.bytes != 0 else sympy.oo

    @property
    def bound(self) -> str:
        return _bound(self.compute_time, self.memory_time)


def _bound(c: sympy.Expr, m: sympy.Expr) -> str:
    d = sympy.cancel(c - m)
    if d.is_nonnegative and c != 0:
        return "compute"
    if d.is_nonpositive:
        return "memory"
    return "depends"


class _Rendered:
    """The tables a roofline renders as, symbolic or at numbers (one home: ``_table``)."""

    def _render(self, fmt: str) -> str:
        return _table(cast("Roofline | RooflineValues", self), fmt)

    def to_text(self) -> str:
        return self._render("text")

    def to_markdown(self) -> str:
        return self._render("markdown")

    def to_latex(self) -> str:
        return self._render("latex")

    def _repr_html_(self) -> str:
        return self._render("html")

    def __str__(self) -> str:
        return self.to_text()


@dataclass(frozen=True, eq=False)
class Roofline(_Rendered):
    """Per-layer roofline of a network result on one :class:`~symcost.hardware.Hardware`.

    ``time`` is the sum of every layer's ``Max(compute, memory)`` (layers run one after
    another); ``compute_time`` and ``memory_time`` are the network's totals, whose
    :meth:`turning_point` is where the whole network turns compute-bound.
    """

    network: Any
    hardware: Hardware
    dtype: str
    peak: sympy.Rational
    bandwidth: sympy.Rational
    rows: tuple[RooflineRow, ...]

    @property
    def time(self) -> sympy.Expr:
        return sympy.Add(*(r.time for r in self.rows))

    @property
    def flops(self) -> sympy.Expr:
        return sympy.Add(*(r.flops for r in self.rows))

    @property
    def bytes(self) -> sympy.Expr:
        return sympy.Add(*(r.bytes for r in self.rows))

    @property
    def compute_time(self) -> sympy.Expr:
        return self.flops / self.peak

    @property
    def memory_time(self) -> sympy.Expr:
        return self.bytes / self.bandwidth

    @property
    def intensity(self) -> sympy.Expr:
        return sympy.cancel(self.flops / self.bytes)

    @property
    def ridge(self) -> sympy.Rational:
        """peak/bandwidth (with efficiencies applied): FLOP per byte at the ridge."""
        return self.peak / self.bandwidth

    def turning_point(self, var: str | sympy.Symbol, **fixed: Any):
        """Where the network as a whole turns compute-bound in ``var`` (e.g. the decode
        batch B*): :func:`~symcost.solve.crossover` of its compute and memory times."""
        from .solve import crossover

        return crossover(self.compute_time, self.memory_time, var, **fixed)

    def evaluate(self, values: Mapping[str, int] | None = None, /, **named: int
                 ) -> RooflineValues:
        """Numbers for every row (exact rationals, seconds) at the given sizes."""
        from .cost import bind_values

        symbols: set[sympy.Basic] = set()
        for r in self.rows:
            symbols |= r.flops.free_symbols | r.bytes.free_symbols | \
                sympy.sympify(r.count).free_symbols
        mapping = bind_values(symbols, {**(values or {}), **named})  # type: ignore[arg-type]
        rows = []
        for r in self.rows:
            f = sympy.sympify(r.flops).xreplace(mapping)
            b = sympy.sympify(r.bytes).xreplace(mapping)
            rows.append(RowValues(r.path, r.kind, f, b, f / self.peak, b / self.bandwidth))
        return RooflineValues(self, {**(values or {}), **named}, tuple(rows))



@dataclass(frozen=True)
class RowValues:
    """One layer's roofline at numbers: FLOPs, bytes, times in seconds (exact)."""

    path: str
    kind: str
    flops: sympy.Rational
    bytes: sympy.Rational
    compute_time: sympy.Rational
    memory_time: sympy.Rational

    @property
    def time(self) -> sympy.Rational:
        return max(self.compute_time, self.memory_time)

    @property
    def intensity(self) -> sympy.Rational | None:
        return self.flops / self.bytes if self.bytes else None

    @property
    def bound(self) -> str:
        return "compute" if self.compute_time > self.memory_time else "memory"


@dataclass(frozen=True, eq=False)
class RooflineValues(_Rendered):
    """A :class:`Roofline` at numbers (``values``), rendered like the symbolic one."""

    roofline: Roofline
    values: Mapping[str, int]
    rows: tuple[RowValues, ...]

    @property
    def hardware(self) -> Hardware:
        return self.roofline.hardware

    @property
    def time(self) -> sympy.Rational:
        return sum((r.time for r in self.rows), sympy.Integer(0))

    @property
    def flops(self) -> sympy.Rational:
        return sum((r.flops for r in self.rows), sympy.Integer(0))

    @property
    def bytes(self) -> sympy.Rational:
        return sum((r.bytes for r in self.rows), sympy.Integer(0))


def _efficiencies(efficiency: Any) -> tuple[sympy.Rational, sympy.Rational]:
    pair = efficiency if isinstance(efficiency, (tuple, list)) else (efficiency, efficiency)
    if len(pair) != 2:
        raise SymcostError("latency: efficiency is one number or a (compute, memory) pair "
                           f"(given {efficiency!r}).")
    out = []
    for e, what in zip(pair, ("compute", "memory")):
        value = exact_number(e, f"latency: {what} efficiency")
        if value > 1:
            raise SymcostError(f"latency: {what} efficiency must be at most 1 (given {e!r}).")
        out.append(value)
    return out[0], out[1]


def latency(result: Any, hw: str | Hardware, *, dtype: str = "bf16",
            efficiency: Any = 1, weight_dtype: str | None = None,
            sparse: bool = False, activations: bool = True) -> Roofline:
    """The roofline of a network result (``net.cost(x, convention)``) on ``hw``.

    ``dtype`` picks the peak and the width of activations; ``weight_dtype`` (default the
    same) the width of weights. ``efficiency`` is the fraction of peak and bandwidth
    achieved (exact: ``0.7`` is 7/10). ``activations=False`` counts only weights and the KV
    cache as memory traffic (the textbook decode estimate; see :func:`moved_bytes`).
    Uncosted layers are left out, as in the total.
    """
    from .results import NetworkCost

    if not isinstance(result, NetworkCost):
        raise SymcostError("latency: expected a network result (net.cost(x, convention)), "
                           f"given {type(result).__name__}.")
    hardware = get(hw)
    for d, what in ((dtype, "dtype"), (weight_dtype or dtype, "weight_dtype")):
        if d not in DTYPE_BYTES:
            raise SymcostError(f"latency: unknown {what} {d!r}.{did_you_mean(d, list(DTYPE_BYTES))}"
                               " Use one of: " + ", ".join(DTYPE_BYTES) + ".")
    peak = hardware.peak(dtype, sparse=sparse)
    ec, em = _efficiencies(efficiency)
    peak, bandwidth = peak * ec, hardware.bandwidth * em
    act, wb = DTYPE_BYTES[dtype], DTYPE_BYTES[weight_dtype or dtype]
    rows = []
    for node, row in zip(result.root.walk(), result.rows):
        if node.census is None:
            continue
        b = sympy.expand(moved_bytes(node.census, act, wb, activations=activations)
                         * row.count)
        f = sympy.sympify(row.cost.flops)
        rows.append(RooflineRow(row.path, row.kind, row.count, f, b, f / peak, b / bandwidth))
    return Roofline(result, hardware, dtype, peak, bandwidth, tuple(rows))


# ---------------------------------------------------------------------- display


def _seconds(t: sympy.Expr) -> str:
    if not t.is_number:
        return str(t)
    v = float(t)
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if v >= scale or unit == "ns":
            return f"{v / scale:.3g} {unit}"
    return f"{v:.3g} s"  # pragma: no cover


def _number(x: Any) -> str:
    if x is None:
        return "-"
    x = sympy.sympify(x)
    if x.is_Integer:
        return f"{int(x):,}"
    if x.is_number:
        return f"{float(x):.4g}"
    return str(x)


def _table(obj: Roofline | RooflineValues, fmt: str) -> str:
    rf = obj if isinstance(obj, Roofline) else obj.roofline
    head = ["layer", "kind", "FLOPs", "bytes", "FLOP/byte", "time", "bound"]
    body: list[list[str]] = []
    for r in obj.rows:
        body.append([r.path or "(network)", r.kind, _number(r.flops), _number(r.bytes),
                     _number(r.intensity), _seconds(r.time), r.bound])
    total_bound = ""
    body.append(["total", "", _number(obj.flops), _number(obj.bytes),
                 _number(obj.flops / obj.bytes) if obj.bytes else "-",
                 _seconds(obj.time), total_bound])
    at = ""
    if isinstance(obj, RooflineValues) and obj.values:
        at = " at " + ", ".join(f"{k}={v}" for k, v in obj.values.items())
    title = (f"roofline on {rf.hardware.name} ({rf.dtype}: peak {_number(rf.peak)} FLOP/s, "
             f"bandwidth {_number(rf.bandwidth)} B/s, ridge {_number(rf.ridge)} FLOP/byte)"
             f"{at}; convention {rf.network.convention}")
    if fmt == "markdown":
        lines = [f"**{title}**", "", "| " + " | ".join(head) + " |",
                 "|" + "|".join("---" for _ in head) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in body]
        return "\n".join(lines)
    if fmt == "latex":
        from .report import latex_escape

        lines = [r"\begin{tabular}{ll" + "r" * (len(head) - 2) + "}", r"\toprule",
                 " & ".join(head) + r" \\", r"\midrule"]
        lines += [" & ".join(latex_escape(c) for c in row) + r" \\" for row in body[:-1]]
        lines += [r"\midrule", " & ".join(latex_escape(c) for c in body[-1]) + r" \\",
                  r"\bottomrule", r"\end{tabular}"]
        return f"% {title}\n" + "\n".join(lines)
    if fmt == "html":
        from html import escape

        cells = "".join(f"<th>{escape(h)}</th>" for h in head)
        rows = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                       for row in body)
        return (f"<p>{escape(title)}</p><table><thead><tr>{cells}</tr></thead>"
                f"<tbody>{rows}</tbody></table>")
    widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(head)]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([title, line(head), rule, *map(line, body[:-1]), rule, line(body[-1])])


def plot_roofline(values: RooflineValues, ax: Any = None, *, label_top: int = 5):
    """Log-log roofline: each layer a point at (FLOP/byte, attained FLOP/s), under the
    roofs ``peak`` and ``bandwidth × intensity`` (the ``plot`` extra)."""
    import matplotlib.pyplot as plt

    if not isinstance(values, RooflineValues):
        raise SymcostError("plot_roofline: evaluate the roofline first (rf.evaluate(B=1, ...)).")
    rf = values.roofline
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    pts = [(float(r.intensity), float(r.flops / r.time), r) for r in values.rows
           if r.intensity and r.time]
    peak, bw = float(rf.peak), float(rf.bandwidth)
    xs = [p[0] for p in pts] or [1.0]
    lo, hi = min(xs + [peak / bw]) / 4, max(xs + [peak / bw]) * 4
    ax.plot([lo, peak / bw, hi], [bw * lo, peak, peak], color="black", lw=1.5, label="roof")
    for bound, colour in (("memory", "tab:blue"), ("compute", "tab:red")):
        sel = [p for p in pts if p[2].bound == bound]
        if sel:
            ax.scatter([p[0] for p in sel], [p[1] for p in sel], s=14, color=colour,
                       label=f"{bound}-bound layers")
    for x, y, r in sorted(pts, key=lambda p: -float(p[2].time))[:label_top]:
        ax.annotate(r.path, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP/byte)")
    ax.set_ylabel("attained FLOP/s")
    ax.set_title(f"{rf.network.spec.name or rf.network.spec.kind} on {rf.hardware.name} "
                 f"({rf.dtype})")
    ax.legend(fontsize=7)
    return ax
