"""Plots of costs (matplotlib is an optional extra: ``pip install 'symcost[plot]'``).

* :func:`plot_vs` — a metric against one or more dimensions tied together (MACs vs
  resolution for several models), evaluated exactly through :meth:`Cost.lambdify`.
* :func:`plot_breakdown` — per-layer bars of an evaluated network.
* :func:`plot_share_by_kind` — each layer kind's share of a metric.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .cost import Cost, check_metric
from .errors import SymcostError

__all__ = ["plot_vs", "plot_breakdown", "plot_share_by_kind"]

_LABELS = {"macs": "MACs", "flops": "FLOPs", "params": "parameters", "buffers": "buffers",
           "activations": "activations", "memory_bytes": "memory (bytes)"}


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise SymcostError("plots need matplotlib: pip install 'symcost[plot]'.") from None
    return plt


def _axes(ax):
    if ax is not None:
        return ax
    _, ax = _pyplot().subplots(figsize=(7, 4.5))
    return ax


def _total(value: Any) -> Cost:
    if isinstance(value, Cost):
        return value
    total = getattr(value, "total", None)
    if isinstance(total, Cost):
        return total
    raise SymcostError(f"plot: expected a Cost or a network cost (given {type(value).__name__}).")


def plot_vs(costs: Mapping[str, Any], vs: str | Sequence[str], values: Iterable[int], *,
            metric: str = "macs", fixed: Mapping[str, Any] | None = None, ax=None,
            logy: bool = False):
    """Plot ``metric`` of each cost against ``vs`` (one name, or several names that take the
    same value, e.g. ``("H", "W")`` for square inputs). Other symbols come from ``fixed``.

    Returns the matplotlib Axes.
    """
    import numpy as np

    check_metric(metric, "plot_vs")
    names = [vs] if isinstance(vs, str) else list(vs)
    xs = np.asarray(list(values), dtype=np.int64)
    if xs.size == 0:
        raise SymcostError("plot_vs: no values to plot; give e.g. range(64, 513, 32).")
    ax = _axes(ax)
    fixed = dict(fixed or {})
    for label, value in costs.items():
        cost = _total(value)
        symbols = sorted(s.name for s in cost.free_symbols)
        missing = [s for s in symbols if s not in names and s not in fixed]
        if missing:
            raise SymcostError(f"plot_vs: {label}: no value for {', '.join(missing)}. Pass "
                               "them in fixed={...} or vary them with vs.")
        args = [s for s in symbols]
        f = cost.lambdify(*args, metric=metric)
        call = {s: (xs if s in names else fixed[s]) for s in args}
        exact = f(**call) if args else f()  # exact ints, or a ConstraintError
        # drawn as floats (a plot is a picture); the values themselves were exact, and an
        # int64 cast could wrap a large one around
        ys = np.broadcast_to(np.asarray(exact, dtype=object).astype(float), xs.shape)
        ax.plot(xs, ys, marker="o", markersize=3, label=label)
    ax.set_xlabel(" = ".join(names))
    ax.set_ylabel(_LABELS.get(metric, metric))
    if logy:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax


def _evaluated_rows(result, depth: int | None):
    rows = getattr(result, "rows", None)
    if not rows or not isinstance(rows[0], tuple):
        raise SymcostError("plot: needs numbers; evaluate the network first, e.g. "
                           "net.cost(shape).evaluate(H=224, W=224).")
    return [(row, values) for row, values, _ in rows
            if row.path and (depth is None or row.depth <= depth)]


def plot_breakdown(result, *, depth: int = 1, metric: str = "macs", ax=None):
    """Horizontal bars of ``metric`` per layer (rows down to ``depth``) of an evaluated
    network (:class:`~symcost.results.NetworkValues`). Returns the Axes."""
    check_metric(metric, "plot_breakdown")
    rows = [(r, v) for r, v in _evaluated_rows(result, depth) if r.depth == depth or
            (r.depth < depth and r.leaf)]
    ax = _axes(ax)
    labels = [r.path for r, _ in rows]
    ax.barh(range(len(rows)), [getattr(v, metric) for _, v in rows])
    ax.set_yticks(range(len(rows)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(_LABELS.get(metric, metric))
    ax.set_title(f"{_LABELS.get(metric, metric)} per layer")
    return ax


def plot_share_by_kind(result, *, metric: str = "macs", ax=None):
    """Bars of each leaf layer kind's share of ``metric`` (percent). Returns the Axes."""
    check_metric(metric, "plot_share_by_kind")
    shares: dict[str, int] = {}
    for row, values in _evaluated_rows(result, None):
        if row.leaf:
            shares[row.kind] = shares.get(row.kind, 0) + getattr(values, metric)
    total = sum(shares.values())
    if total == 0:
        raise SymcostError(f"plot_share_by_kind: the network's {metric} is zero.")
    kinds = sorted((k for k in shares if shares[k]), key=lambda k: -shares[k])
    ax = _axes(ax)
    ax.bar(kinds, [100 * shares[k] / total for k in kinds])
    ax.set_ylabel(f"share of {_LABELS.get(metric, metric)} (%)")
    for label in ax.get_xticklabels():  # slanted, each ending under its bar
        label.set(rotation=40, ha="right", rotation_mode="anchor")
    ax.set_title(f"{_LABELS.get(metric, metric)} by layer kind")
    return ax
