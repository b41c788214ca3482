"""Every display of costs goes through here: text, Markdown, LaTeX (booktabs), JSON, HTML.

Formulas are shown as stored (display never simplifies); LaTeX comes from sympy's printer,
so ``C_out`` renders as ``C_{out}``.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import sympy

from .conventions import get_convention
from .cost import check_metric
from .dims import multiple_of
from .errors import SymcostError

if TYPE_CHECKING:  # typing_extensions comes with pydantic; needed by the type checker only
    from typing_extensions import TypeIs

    from .cost import Cost
    from .results import NetworkCost, NetworkValues


def _evaluated(result: Any) -> TypeIs[NetworkValues]:
    """Whether a result holds numbers (a NetworkValues) rather than formulas."""
    return bool(getattr(result, "evaluated", False))

__all__ = ["Reportable", "cost_latex", "text_table", "markdown_table", "latex_table",
           "json_report", "html_table", "csv_table", "dataframe", "latex_macros",
           "table_rows", "group_digits", "si_number", "macro_name", "validity",
           "validity_note", "flops_meaning", "uncosted_groups", "incomplete_message"]

_METRIC_LABELS = {"macs": "MACs", "flops": "FLOPs", "params": "params", "buffers": "buffers",
                  "activations": "activations", "memory_bytes": "memory (bytes)"}
_TABLE_METRICS = ("macs", "flops", "params")


def group_digits(n: int, sep: str = ",") -> str:
    """``1234567`` → ``1,234,567`` (any separator, e.g. LaTeX's thin space ``\\,``)."""
    return f"{n:,}".replace(",", sep)


#: What the FLOPs column means under each preset (shown under every report).
FLOPS_MEANING = {
    "seed": "FLOPs = one per MACC of conv/FC plus each activation and pooling operation "
            "(Hollemans, 'How fast is my model?', 2018)",
    "macs": "FLOPs = 2 x MACs of conv, linear and matmul; nothing else is counted",
    "flops": "FLOPs = every multiply and add (n multiplies and n - 1 adds per length-n dot "
             "product, bias one add) plus every element-wise operation",
    "torch": "FLOPs = 2 x MACs of conv/linear/matmul, as torch's FlopCounterMode prints",
    "fvcore": "FLOPs = 2 x fvcore's count (fvcore itself prints MACs and calls them flops)",
    "ptflops": "FLOPs = 2 x ptflops' MACs (ptflops prints MACs)",
    "thop": "FLOPs = 2 x thop's MACs (thop prints MACs)",
}


def flops_meaning(convention: str) -> str:
    """One line saying what the FLOPs figure counts under ``convention``."""
    if convention in FLOPS_MEANING:
        return FLOPS_MEANING[convention]
    return f"FLOPs as convention {convention!r} prices them: {get_convention(convention).summary}"


def validity(symbols: Iterable[sympy.Basic]) -> str:
    """The condition a closed form relies on, from the symbols' ``multiple_of``
    declarations: ``"H, W multiples of 32"`` (empty when nothing was declared).

    >>> import symcost as sc
    >>> validity([sc.dim("W", multiple_of=32), sc.dim("H", multiple_of=32), sc.dim("N")])
    'H, W multiples of 32'
    """
    by_multiple: dict[int, list[str]] = {}
    for s in symbols:
        m = multiple_of(s)
        if m > 1:
            by_multiple.setdefault(m, []).append(str(s))
    parts = []
    for m, names in sorted(by_multiple.items()):
        names = sorted(set(names))
        parts.append(", ".join(names) + (" multiples of " if len(names) > 1 else
                                         " a multiple of ") + str(m))
    return "; ".join(parts)


def validity_note(symbols: Iterable[sympy.Basic]) -> str:
    """``"holds for H, W multiples of 32"`` or empty."""
    condition = validity(symbols)
    return f"holds for {condition} (declared multiple_of)" if condition else ""


def cost_latex(cost: Cost) -> str:
    """A cost as an aligned LaTeX block (Jupyter's ``_repr_latex_``)."""
    lines = [rf"\text{{{_METRIC_LABELS[m]}}} &= {sympy.latex(getattr(cost, m))}"
             for m in ("macs", "flops", "params", "buffers", "activations", "memory_bytes")]
    condition = validity(cost.free_symbols)  # plain words: \text{} is no place for "_"
    return (r"$\begin{aligned}" + r" \\ ".join(lines)
            + rf" \\ &\text{{(convention: {cost.convention}"
            + (f"; holds for {condition}" if condition else "") + r")}\end{aligned}$")


def _html_metric_table(head: list[str], rows: list[list[str]], right_from: int = 1,
                       right_to: int | None = None) -> str:
    """An HTML table whose columns ``right_from`` to ``right_to`` (excluded; default: the
    last) are right-aligned numbers."""
    def right(i: int) -> bool:
        return i >= right_from and (right_to is None or i < right_to)

    def tr(cells: list[str], tag: str) -> str:
        return "<tr>" + "".join(
            f'<{tag} style="text-align:{"right" if right(i) else "left"}">{c}</{tag}>'
            for i, c in enumerate(cells)) + "</tr>"

    return (f"<table><thead>{tr(head, 'th')}</thead><tbody>"
            + "".join(tr(r, "td") for r in rows) + "</tbody></table>")


def cost_values_html(values) -> str:
    """A :class:`~symcost.cost.CostValues` as an HTML table: one column per metric, one row
    for the whole and one per part (depthwise, pointwise)."""
    metrics = list(_METRIC_LABELS)
    rows = [[html.escape(name), *(group_digits(getattr(v, m)) for m in metrics)]
            for name, v in [*values.parts.items(), ("total" if values.parts else "value",
                                                    values)]]
    return (f"<div><small>convention {html.escape(values.convention)}</small>"
            + _html_metric_table(["", *(_METRIC_LABELS[m] for m in metrics)], rows)
            + "</div>")


def comparison_html(comparison) -> str:
    """A :class:`~symcost.compare.ConventionComparison` as an HTML table: per layer kind,
    each side's figure and rule, and the difference."""
    def cell(expr: sympy.Expr) -> str:
        return (group_digits(int(expr)) if expr.is_Integer
                else f"\\({sympy.latex(expr)}\\)")

    a, b = html.escape(comparison.a), html.escape(comparison.b)
    rows = [[html.escape(f"{r.kind} ×{r.count}"), cell(r.value_a), cell(r.value_b),
             cell(r.difference), html.escape(r.rule_a), html.escape(r.rule_b)]
            for r in comparison.rows]
    rows.append(["<b>total</b>", f"<b>{cell(comparison.total_a)}</b>",
                 f"<b>{cell(comparison.total_b)}</b>",
                 f"<b>{cell(sympy.expand(comparison.total_a - comparison.total_b))}</b>",
                 "", ""])
    head = ["layer kind", f"{a} ({comparison.metric_a})", f"{b} ({comparison.metric_b})",
            "difference", f"{a} rule", f"{b} rule"]
    return f"<div><strong>{a} vs {b}</strong>{_html_metric_table(head, rows, 1, 4)}</div>"


def rows_html(rows) -> str:
    """Breakdown rows (:meth:`NetworkCost.breakdown`) as an HTML table, indented by depth."""
    metrics = list(_TABLE_METRICS)

    def cell(v: sympy.Expr) -> str:
        return group_digits(int(v)) if v.is_Integer else f"\\({sympy.latex(v)}\\)"

    def indented(r) -> str:
        return (f'<span style="padding-left:{max(r.depth - 1, 0) * 1.2:g}em">'
                f"{html.escape(r.path)}</span>")

    body = [[indented(r),
             html.escape(r.kind), html.escape(r.output.text()),
             *(cell(getattr(r.cost, m)) for m in metrics)] for r in rows]
    return _html_metric_table(["layer", "kind", "output", *(_METRIC_LABELS[m]
                                                           for m in metrics)], body, 3)


def uncosted_groups(uncosted: Sequence[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """Uncosted ``(path, reason)`` pairs grouped by reason, the largest group first.

    An importer's reason reads ``why — op``; the group is the ``why`` part, so that 218
    nodes after one ``reshape`` make one line.
    """
    groups: dict[str, list[str]] = {}
    for path, reason in uncosted:
        groups.setdefault(reason.split(" — ")[0], []).append(path or "(network)")
    return sorted(groups.items(), key=lambda item: -len(item[1]))


#: What to do about an incomplete total, said to a Python user.
ADVICE = ("See .uncosted; give them counts (a Custom layer) or map them, and treat this total "
          "as a lower bound.")


def incomplete_message(uncosted: Sequence[tuple[str, str]], what: str = "total",
                       advice: str = ADVICE) -> str:
    """The warning text for a total that leaves out uncosted layers."""
    groups = uncosted_groups(uncosted)
    listed = "; ".join(f"{why}: {len(paths)} node{'s' if len(paths) > 1 else ''}"
                       for why, paths in groups[:3])
    more = f"; and {len(groups) - 3} more reasons" if len(groups) > 3 else ""
    return (f"{what}: INCOMPLETE, the total leaves out {len(uncosted)} uncosted "
            f"layer{'s' if len(uncosted) > 1 else ''} ({listed}{more}). {advice}")


@dataclass(frozen=True)
class TableRow:
    """A display row: text cells plus the raw values (ints or sympy expressions)."""

    path: str
    kind: str
    depth: int
    output: str
    values: dict[str, Any]
    note: str = ""


def table_rows(result: NetworkCost | NetworkValues, depth: int | None = None
               ) -> tuple[list[TableRow], TableRow]:
    """Rows down to ``depth`` and the total row, for a symbolic or evaluated result."""
    rows: list[TableRow] = []
    net = _network(result)
    if depth is not None and net.spec.kind == "graph" and all(
            r.depth <= 1 for r in net.rows):
        every, total = table_rows(result, None)
        return _by_module(every, depth), total
    if _evaluated(result):
        for row, values, shape in result.rows:
            if depth is None or row.depth <= depth:
                rows.append(TableRow(row.path or "(network)", row.kind, row.depth,
                                     shape.text(), values.as_dict(),
                                     _note(row)))
        total = TableRow(total_label(result), "", 0,
                         result.rows[0][2].text() if result.rows else "",
                         result.total.as_dict())
    else:
        for row in result.breakdown(depth):
            rows.append(TableRow(row.path or "(network)", row.kind, row.depth,
                                 row.output.text(),
                                 {m: _plain(getattr(row.cost, m)) for m in _METRIC_LABELS},
                                 _note(row)))
        total = TableRow(total_label(result), "", 0, result.output.text(),
                         {m: _plain(getattr(result._total, m)) for m in _METRIC_LABELS})
    return [r for r in rows if r.path != "(network)"], total


def _by_module(rows: list[TableRow], depth: int) -> list[TableRow]:
    """A flat graph's rows (an imported model: ``layer1.0.conv1``, ``layer1.0.bn1``, …)
    grouped by module path down to ``depth`` levels, in order of first appearance; a group
    sums its nodes' figures and notes their number."""
    groups: dict[str, list[TableRow]] = {}
    for r in rows:
        parts = r.path.split(".")
        for level in range(1, min(depth, len(parts)) + 1):
            groups.setdefault(".".join(parts[:level]), []).append(r)
    out = []
    for prefix, members in groups.items():
        if len(members) == 1 and members[0].path == prefix:
            out.append(replace(members[0], depth=prefix.count(".") + 1))
            continue
        values = {m: _plain(sympy.Add(*(sympy.sympify(r.values[m]) for r in members)))
                  for m in _METRIC_LABELS}
        uncosted = sum("UNCOSTED" in r.note for r in members)
        note = f"{len(members)} nodes" + (f", {uncosted} UNCOSTED" if uncosted else "")
        out.append(TableRow(prefix, "module", prefix.count(".") + 1, members[-1].output,
                            values, note))
    return out


def _plain(value: sympy.Expr) -> Any:
    """Numbers as Python ints (formatted as numbers); formulas stay sympy."""
    return int(value) if isinstance(value, sympy.Integer) else value


def _note(row) -> str:
    parts = []
    if row.count != 1:
        parts.append(f"×{row.count}")
    if row.uncosted:
        parts.append("UNCOSTED")
    return " ".join(parts)


def _cell(value: Any) -> str:
    if isinstance(value, int):
        return group_digits(value)
    return str(value)


def _network(result) -> NetworkCost:
    return result.network if _evaluated(result) else result


def total_label(result) -> str:
    """``total``, or ``total (INCOMPLETE: 218 uncosted)`` when layers were left out."""
    missing = len(_network(result).uncosted)
    return f"total (INCOMPLETE: {missing} uncosted)" if missing else "total"


def _conditions(result) -> str:
    """The closed forms' validity condition (symbolic results only: numbers are exact)."""
    if _evaluated(result):
        return ""
    return validity_note(result._total.free_symbols)


def _header(result) -> list[str]:
    """Title, then the values (evaluated), the validity condition (closed forms) and what
    FLOPs mean, one per line."""
    net = _network(result)
    title = net.spec.name or net.spec.kind
    lines = [f"{title} on input {net.input}, convention {net.convention!r}"]
    if _evaluated(result) and result.values:
        lines.append("at " + ", ".join(f"{k}={v}" for k, v in result.values.items()))
    conditions = _conditions(result)
    if conditions:
        lines.append("closed forms " + conditions.replace("holds", "hold", 1))
    active = net.active_params
    if active != net._total.params:
        shown = _cell(result.active_params) if _evaluated(result) else str(active)
        lines.append(f"active params (router, top-k and shared experts): {shown}")
    lines.append(flops_meaning(net.convention))
    return lines


def _uncosted(result) -> list[str]:
    """One line per reason: a single node by path, a group by count and first paths."""
    out = []
    for why, paths in uncosted_groups(_network(result).uncosted):
        if len(paths) == 1:
            out.append(f"UNCOSTED {paths[0]}: {why}")
        else:
            shown = ", ".join(paths[:6]) + (", ..." if len(paths) > 6 else "")
            out.append(f"UNCOSTED {len(paths)} nodes, {why}: {shown}")
    return out


def text_table(result: NetworkCost | NetworkValues, depth: int | None = None) -> str:
    """A plain-text table for terminals (the CLI's default)."""
    rows, total = table_rows(result, depth)
    head = ["layer", "kind", "output", *(_METRIC_LABELS[m] for m in _TABLE_METRICS), ""]
    body = [["  " * (r.depth - 1) + r.path.rsplit(".", 1)[-1] if r.depth > 1 else r.path,
             r.kind, r.output, *(_cell(r.values[m]) for m in _TABLE_METRICS), r.note]
            for r in rows]
    foot = [total.path, "", total.output, *(_cell(total.values[m]) for m in _TABLE_METRICS),
            ""]
    widths = [max(len(x[i]) for x in [head, *body, foot]) for i in range(len(head))]
    numeric = {3, 4, 5}

    def fmt(cells):
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    rule = "-" * len(fmt(head))
    out = [*_header(result), "", fmt(head), rule, *(fmt(b) for b in body), rule, fmt(foot)]
    out += ["", *(f"{_METRIC_LABELS[m]}: {_cell(total.values[m])}"
                  for m in ("buffers", "activations", "memory_bytes"))]
    out += _uncosted(result)
    return "\n".join(out) + "\n"


def markdown_table(result: NetworkCost | NetworkValues, depth: int | None = None) -> str:
    """A GitHub-flavoured Markdown table."""
    rows, total = table_rows(result, depth)
    labels = [_METRIC_LABELS[m] for m in _TABLE_METRICS]
    header = _header(result)
    out = [f"**{header[0]}**" + "".join("  \n" + line for line in header[1:]), "",
           "| layer | kind | output | " + " | ".join(labels) + " |",
           "|---|---|---|" + "---:|" * len(labels)]

    def esc(s: str) -> str:
        return s.replace("|", r"\|").replace("*", r"\*")

    for r in rows:
        out.append(f"| {esc(r.path)} | {r.kind} | {esc(r.output)} | "
                   + " | ".join(esc(_cell(r.values[m])) for m in _TABLE_METRICS)
                   + (f" {r.note}" if r.note else "") + " |")
    out.append(f"| **{total.path}** | | " + esc(total.output) + " | "
               + " | ".join(f"**{esc(_cell(total.values[m]))}**" for m in _TABLE_METRICS)
               + " |")
    out += [f"\n{line}" for line in _uncosted(result)]
    return "\n".join(out) + "\n"


_LATEX_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
                  "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "\\": r"\textbackslash{}"}


def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters in plain text."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


_SI = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k"))


def si_number(n: int, digits: int = 3, sep: str = r"\,") -> str:
    r"""An integer with an SI prefix and exactly ``digits`` significant digits:
    ``4.09\,G``, ``15.0\,M`` (not ``15\,M`` beside ``1.34\,G``). Below 1000 the exact integer.

    >>> print(si_number(4_089_184_256))
    4.09\,G
    >>> print(si_number(15_000_000, sep=" "), si_number(999_999, sep=" "))
    15.0 M 1.00 M
    >>> si_number(999, sep=" ")
    '999'
    """
    if abs(n) < 1000:
        return str(n)
    for i, (scale, prefix) in enumerate(_SI):
        if abs(n) >= scale or i == len(_SI) - 1:
            value = n / scale
            decimals = max(0, digits - len(str(int(abs(value)))))
            text = f"{value:.{decimals}f}"
            if len(text.lstrip("-").split(".")[0]) > 3 and i > 0:  # 999.9 k rounds to 1.00 M
                value, prefix = n / _SI[i - 1][0], _SI[i - 1][1]
                text = f"{value:.{max(0, digits - 1)}f}"
            return f"{text}{sep}{prefix}"
    return str(n)  # pragma: no cover - the loop always returns


_NUMBERS = ("grouped", "si")


def _latex_cell(value: Any, numbers: str = "grouped", digits: int = 3) -> str:
    if isinstance(value, int):
        return si_number(value, digits) if numbers == "si" else group_digits(value, r"\,")
    return f"${breakable_latex(value)}$"


def breakable_latex(expr: sympy.Expr) -> str:
    r"""sympy's LaTeX without ``\left``/``\right``, so that TeX may break a long formula
    after any ``+`` (a ``\left…\right`` pair is one unbreakable box).

    >>> import symcost as sc
    >>> print(breakable_latex(sc.parse("(floor(H/2) + 1)**2")))
    (\lfloor{\frac{H}{2}}\rfloor + 1)^{2}
    """
    return re.sub(r"\\(?:left|right)(?=[()\[\].|]|\\[lr](?:floor|ceil))", "",
                  sympy.latex(expr))


def _text_pt(text: str) -> float:
    """Rough width in points of text set in ``\\small`` Computer Modern (an estimate for
    sharing a table's width; TeX scales the table if it is off)."""
    return sum(7.0 if ch == "×" else 6.5 if ch.isupper() else 2.5 if ch in " ,.()*/"
               else 4.7 for ch in text)


def _term_pt(value: Any) -> float:
    """Rough width of the longest part of a cell that TeX cannot break: a formula's term
    with the sign it breaks after (math italics are wide), or a word of a shape."""
    if isinstance(value, int):
        return _text_pt(group_digits(value))
    if isinstance(value, str):
        return max(_text_pt(word) for word in value.split(" ")) + 4
    terms = re.split(r" [+-] ", str(value).replace("*", ""))
    return max(_text_pt(t) + 1.5 * sum(ch.isupper() for ch in t) for t in terms) + 10


def _latex_shape(text: str) -> str:
    return latex_escape(text).replace("×", r"$\times$")


def _check_metrics(metrics: Sequence[str], where: str) -> list[str]:
    if isinstance(metrics, str):
        metrics = [metrics]
    if not metrics:
        raise SymcostError(f"{where}: metrics is empty. Give some of: "
                           + ", ".join(_METRIC_LABELS) + ".")
    return [check_metric(m, where) for m in metrics]


def latex_table(result: NetworkCost | NetworkValues, depth: int | None = None, *,
                caption: str | None = None, label: str | None = None,
                numbers: str = "grouped", metrics: Sequence[str] = _TABLE_METRICS,
                kind: bool = True, output: bool = True, hide_zero: bool = False,
                digits: int = 3, escape: bool = True, width: str = r"\columnwidth") -> str:
    r"""A booktabs table that fits ``width`` (needs ``\usepackage{booktabs,graphicx}``).

    * ``caption`` goes above the table (as journals ask); ``escape=False`` passes it to TeX
      as written, so it may hold math (``"MACs of $f(H, W)$"``).
    * ``metrics`` chooses the metric columns (``["macs", "params"]``); ``kind=False`` and
      ``output=False`` drop those columns; ``hide_zero=True`` drops rows whose shown metrics
      are all zero (activations under ``macs``).
    * ``numbers="grouped"`` writes 4\,089\,184\,256; ``numbers="si"`` writes 4.09\,G with
      ``digits`` significant digits (15.0\,M, never 15\,M).
    * Formulas sit in wrapping columns, so long closed forms break at their ``+`` signs
      instead of running into the margin; beside them, kind and output go under the layer's
      name. A table still wider than ``width`` is scaled down to it (never overfull). A
      symbolic table carries its validity condition (``multiple_of``) in a note under the
      rule, and every table says what its FLOPs count.
    """
    if numbers not in _NUMBERS:
        raise SymcostError(f"to_latex: numbers must be 'grouped' or 'si' (given {numbers!r}).")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 12:
        raise SymcostError(f"to_latex: digits must be an int from 1 to 12 (given {digits!r}).")
    metrics = _check_metrics(metrics, "to_latex")
    rows, total = table_rows(result, depth)
    if hide_zero:
        rows = [r for r in rows if any(r.values[m] != 0 for m in metrics)]
    # Columns of formulas wrap at their + signs, sharing what the other columns leave of
    # `width` (estimated here, computed by TeX), but never narrower than their longest
    # unbreakable term; a table still wider than `width` is scaled down to it. No overfull
    # box either way. Beside formulas, kind and output go under the layer's name (one
    # wrapping column instead of three), so that the formulas get the room.
    formula = {m for m in metrics if any(not isinstance(r.values[m], int)
                                         for r in [*rows, total])}
    everything = [*rows, total]
    stacked = bool(formula) and (kind or output)
    first = max(_text_pt(r.path) for r in everything) + 6
    if stacked:  # about a third of a two-column article's column, or its longest word
        words = [w for r in everything for w in (r.output.replace("×", "× ").split()
                                                 + [r.kind + ","])]
        first = max(first, 70.0, 0.9 * max(_text_pt(w) for w in words) + 8)
    fixed = (first
             + (max(_text_pt(r.kind) for r in everything) + 6 if kind and not stacked else 0)
             + (max(_text_pt(r.output) for r in everything) + 6
                if output and not stacked else 0)
             + sum(max(_text_pt(_cell(r.values[m])) for r in everything) + 6
                   for m in metrics if m not in formula))
    wrapped = len(formula)
    least = max([_term_pt(r.values[m]) for r in everything for m in formula] + [40.0])
    end = r" \tabularnewline" if wrapped else r" \\"  # \\ would end \raggedright's line
    cell = r"p{\symcostw}"
    spec = ((rf"p{{{first:.0f}pt}}" if stacked else "l") + ("l" if kind and not stacked else "")
            + ("l" if output and not stacked else "")
            + "".join(cell if m in formula else "r" for m in metrics))
    about = "/".join(["kind"] * bool(kind) + ["output"] * bool(output))
    head = ([f"Layer ({about})" if stacked else "Layer"]
            + (["Kind"] if kind and not stacked else [])
            + (["Output"] if output and not stacked else [])
            + [_METRIC_LABELS[m] for m in metrics])

    def line(name: str, r: TableRow) -> str:
        values = [(r"\raggedright " if m in formula else "")
                  + _latex_cell(r.values[m], numbers, digits) for m in metrics]
        shape = _latex_shape(r.output)
        if stacked:
            info = [latex_escape(r.kind)] * bool(kind and r.kind) + [
                shape.replace(r"$\times$", r"$\times$\allowbreak{}")] * bool(output)
            name = (r"\raggedright " + name + (r"\newline{\footnotesize " + ", ".join(info)
                                                + "}" if info else ""))
            return " & ".join([name, *values]) + end
        cells = [name, *([latex_escape(r.kind)] if kind else []),
                 *([shape] if output else []), *values]
        return " & ".join(cells) + end

    out = [r"\begin{table}[ht]", r"\centering", r"\small", r"\setlength{\tabcolsep}{3pt}"]
    if caption:
        out.append(rf"\caption{{{latex_escape(caption) if escape else caption}}}")
    if label:
        out.append(rf"\label{{{label}}}")
    if wrapped:
        out += [rf"\edef\symcostw{{\the\dimexpr({width}-{fixed + 6 * wrapped:.0f}pt)/"
                rf"{wrapped}\relax}}%",
                rf"\ifdim\symcostw<{least:.0f}pt\def\symcostw{{{least:.0f}pt}}\fi"]
    # the tabular is set in a box, scaled down to `width` only when wider
    out += [r"\sbox0{%", rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
            " & ".join(head) + end, r"\midrule"]
    out += [line(latex_escape(r.path), r) for r in rows]
    out += [r"\midrule", line(rf"\textbf{{{latex_escape(total.path)}}}", total), r"\bottomrule",
            r"\end{tabular}}%",
            rf"\ifdim\wd0>{width}\resizebox{{{width}}}{{!}}{{\usebox0}}\else\usebox0\fi"]
    notes = [*_header(result)[1:]]
    if _network(result).uncosted:
        notes.append(incomplete_message(_network(result).uncosted, "total"))
    out += [r"\par\smallskip\footnotesize\raggedright " + latex_escape(n) for n in notes
            if not n.startswith("FLOPs") or "flops" in metrics]
    out.append(r"\end{table}")
    return "\n".join(out) + "\n"


def _json_value(value: Any) -> Any:
    if isinstance(value, int):
        return value
    if isinstance(value, sympy.Integer):
        return int(value)
    return str(value)


def json_report(result: NetworkCost | NetworkValues, depth: int | None = None) -> str:
    """A JSON report: input, convention, total and rows (formulas as strings).

    ``incomplete`` is true when the total leaves out uncosted layers (listed in
    ``uncosted`` and grouped by reason in ``uncosted_groups``); ``valid_for`` is the
    condition the closed forms rely on (``"H, W multiples of 32"``, null when none).
    """
    net = result.network if _evaluated(result) else result
    rows, total = table_rows(result, depth)
    doc = {
        "network": net.spec.name or net.spec.kind,
        "input": {k: _json_value(v) for k, v in net.input.axes().items()},
        "convention": net.convention,
        "values": result.values if _evaluated(result) else None,
        "valid_for": (validity(net._total.free_symbols) or None
                      if not _evaluated(result) else None),
        "flops_mean": flops_meaning(net.convention),
        "incomplete": bool(net.uncosted),
        "total": {m: _json_value(v) for m, v in total.values.items()},
        "rows": [{"path": r.path, "kind": r.kind, "depth": r.depth, "output": r.output,
                  **{m: _json_value(v) for m, v in r.values.items()},
                  **({"note": r.note} if r.note else {})} for r in rows],
        "uncosted": [{"path": p, "reason": why} for p, why in net.uncosted],
        "uncosted_groups": [{"reason": why, "count": len(paths), "paths": paths}
                            for why, paths in uncosted_groups(net.uncosted)],
    }
    return json.dumps(doc, indent=2) + "\n"


def html_table(result: NetworkCost | NetworkValues, depth: int | None = 2) -> str:
    """An HTML table for Jupyter: title, validity condition and what FLOPs mean, the
    closed-form total, then rows indented by depth, numbers right-aligned with grouped
    digits, the total last (marked INCOMPLETE, with the uncosted reasons, when layers were
    left out)."""
    rows, total = table_rows(result, depth)
    numeric = _evaluated(result)
    right = ' style="text-align:right"'
    head = "".join(f"<th{right if i >= 3 else ''}>{h}</th>" for i, h in enumerate(
        ["layer", "kind", "output", *(_METRIC_LABELS[m] for m in _TABLE_METRICS)]
        + (["share of MACs"] if numeric else [])))

    def cells(r: TableRow) -> list[str]:
        out = [html.escape(r.path), html.escape(r.kind), html.escape(r.output)]
        for m in _TABLE_METRICS:
            v = r.values[m]
            out.append(html.escape(_cell(v)) if isinstance(v, int) else
                       f"\\({sympy.latex(v)}\\)")
        if numeric:
            share = r.values["macs"] / total.values["macs"] if total.values["macs"] else 0
            out.append(f"{100 * share:.1f}%")
        return out

    def tr(r: TableRow, bold: bool = False) -> str:
        tds = []
        for i, c in enumerate(cells(r)):
            style = (f"padding-left:{max(r.depth - 1, 0) * 1.2:g}em;text-align:left" if i == 0 else
                     "text-align:right" if i >= 3 else "text-align:left")
            tds.append(f'<td style="{style}">' + (f"<b>{c}</b>" if bold else c) + "</td>")
        return "<tr>" + "".join(tds) + "</tr>"

    body = [tr(r) for r in rows]
    if numeric:
        top = "<p>" + ", ".join(f"{_METRIC_LABELS[m]} = {_cell(total.values[m])}"
                                for m in _TABLE_METRICS) + "</p>"
    else:
        top = "<p>" + "<br>".join(
            f"{_METRIC_LABELS[m]} = " + (_cell(v) if isinstance(v, int) else
                                         f"\\({sympy.latex(v)}\\)")
            for m, v in ((m, total.values[m]) for m in _TABLE_METRICS)) + "</p>"
    header = _header(result)
    notes = "".join(f"<br><small>{html.escape(line)}</small>" for line in header[1:])
    warning = ""
    uncosted = _network(result).uncosted
    if uncosted:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in _uncosted(result))
        warning = (f'<p style="color:#b00"><b>{html.escape(total.path)}</b>: the total leaves '
                   f"these out</p><ul>{items}</ul>")
    return (f"<div><strong>{html.escape(header[0])}</strong>{notes}{warning}{top}"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
            f"<tfoot>{tr(total, bold=True)}</tfoot></table></div>")


def csv_table(result: NetworkCost | NetworkValues, depth: int | None = None) -> str:
    """CSV with one row per layer and a final ``total`` row (formulas as text)."""
    rows, total = table_rows(result, depth)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["path", "kind", "depth", "output", *_METRIC_LABELS, "note"])
    for r in [*rows, total]:
        writer.writerow([r.path, r.kind, r.depth, r.output,
                         *(_json_value(r.values[m]) for m in _METRIC_LABELS), r.note])
    return buffer.getvalue()


def dataframe(result: NetworkCost | NetworkValues, depth: int | None = None):
    """A pandas DataFrame of the rows (pandas is an optional extra)."""
    try:
        import pandas as pd
    except ImportError:
        raise SymcostError("to_dataframe needs pandas: pip install 'symcost[pandas]'.") from None
    rows, _ = table_rows(result, depth)
    return pd.DataFrame([{"path": r.path, "kind": r.kind, "depth": r.depth,
                          "output": r.output, **r.values, "note": r.note} for r in rows])


_ONES = ["Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine",
         "Ten", "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen",
         "Seventeen", "Eighteen", "Nineteen"]
_TENS = ["", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"]


def _number_words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + (_ONES[n % 10] if n % 10 else "")
    if n < 1000:
        return _ONES[n // 100] + "Hundred" + (_number_words(n % 100) if n % 100 else "")
    if n < 10**6:
        return _number_words(n // 1000) + "Thousand" + (
            _number_words(n % 1000) if n % 1000 else "")
    return "".join(_ONES[int(d)] for d in str(n))


def macro_name(text: str) -> str:
    """A TeX control-sequence name (letters only) from any text, digits spelled out.

    >>> macro_name("resnet50")
    'resnetFifty'
    >>> macro_name("mobilenet_v1 (0.75)")
    'mobilenetVOneZeroSeventyFive'
    """
    words = re.findall(r"[A-Za-z]+|[0-9]+", text)
    parts = []
    for i, word in enumerate(words):
        if word.isdigit():
            parts.append(_number_words(int(word)) if len(word) <= 9 else
                         "".join(_ONES[int(d)] for d in word))
        else:
            parts.append(word if i == 0 else word[:1].upper() + word[1:])
    name = "".join(parts)
    return name[:1].lower() + name[1:] if name else "symcost"


_MACRO_SUFFIX = {"macs": "MACs", "flops": "FLOPs", "params": "Params", "buffers": "Buffers",
                 "activations": "Activations", "memory_bytes": "MemoryBytes"}


def latex_macros(result: NetworkCost | NetworkValues, prefix: str | None = None, *,
                 depth: int = 0, digits: int = 3) -> str:
    """``\\newcommand`` lines so that a paper's numbers come from code.

    One macro per metric of the total (``\\resnetFiftyMACs`` → ``4.09\\,G``), and with
    ``depth`` ≥ 1 also per row down to that depth. Symbolic results give the formula in
    ``\\ensuremath``. ``prefix`` defaults to the network's name, made a valid TeX name.
    """
    net = result.network if _evaluated(result) else result
    base = macro_name(prefix if prefix is not None else (net.spec.name or net.spec.kind))
    rows, total = table_rows(result, depth if depth > 0 else 0)
    lines = [f"% symcost: {line}" for line in _header(result)]
    uncosted = _network(result).uncosted
    if uncosted:
        lines.append(f"% {incomplete_message(uncosted)}")

    def emit(stem: str, values: dict[str, Any]) -> None:
        for metric, suffix in _MACRO_SUFFIX.items():
            value = values[metric]
            if isinstance(value, int):
                text = si_number(value, digits)
            else:
                text = rf"\ensuremath{{{sympy.latex(value)}}}"
                note = validity_note(value.free_symbols)
                if note:  # a closed form copied alone must still say when it holds
                    lines.append(f"% \\{stem}{suffix} {note}")
            lines.append(rf"\newcommand{{\{stem}{suffix}}}{{{text}}}")

    emit(base, total.values)
    if depth > 0:
        for r in rows:
            emit(base + macro_name(r.path)[:1].upper() + macro_name(r.path)[1:], r.values)
    return "\n".join(lines) + "\n"


class Reportable:
    """Export methods shared by symbolic and evaluated network results."""

    def to_text(self, depth: int | None = None) -> str:
        """Plain-text table (the CLI's default)."""
        return text_table(self, depth=depth)  # type: ignore[arg-type]

    def to_markdown(self, depth: int | None = None) -> str:
        """Markdown table."""
        return markdown_table(self, depth=depth)  # type: ignore[arg-type]

    def to_latex(self, depth: int | None = None, *, caption: str | None = None,
                 label: str | None = None, numbers: str = "grouped",
                 metrics: Sequence[str] = _TABLE_METRICS, kind: bool = True,
                 output: bool = True, hide_zero: bool = False, digits: int = 3,
                 escape: bool = True, width: str = r"\columnwidth") -> str:
        r"""A booktabs table for a paper, at most ``width`` wide (``\usepackage{booktabs,
        graphicx}``): rows down to ``depth``, ``caption`` above (``escape=False`` keeps its
        math), ``label``, ``metrics`` columns (e.g. ``["macs", "params"]``), ``kind`` and
        ``output`` columns on or off, ``hide_zero`` rows, ``numbers="grouped"`` (568\,740\,352)
        or ``"si"`` (569\,M, ``digits`` significant digits)."""
        return latex_table(self, depth=depth, caption=caption,  # type: ignore[arg-type]
                           label=label, numbers=numbers, metrics=metrics, kind=kind,
                           output=output, hide_zero=hide_zero, digits=digits, escape=escape,
                           width=width)

    def to_json(self, depth: int | None = None) -> str:
        """JSON report (formulas as strings)."""
        return json_report(self, depth=depth)  # type: ignore[arg-type]

    def to_csv(self, depth: int | None = None) -> str:
        """CSV rows plus a total row."""
        return csv_table(self, depth=depth)  # type: ignore[arg-type]

    def to_dataframe(self, depth: int | None = None):
        """pandas DataFrame of the rows (optional extra)."""
        return dataframe(self, depth=depth)  # type: ignore[arg-type]

    def to_latex_macros(self, prefix: str | None = None, *, depth: int = 0,
                        digits: int = 3) -> str:
        """``\\newcommand`` macros for the total (and every row down to ``depth``); numbers
        with ``digits`` significant digits, formulas with their validity condition."""
        return latex_macros(self, prefix, depth=depth, digits=digits)  # type: ignore[arg-type]

    def _repr_html_(self) -> str:
        return html_table(self)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return self.to_text()
