"""Every display of costs goes through here: text, Markdown, LaTeX (booktabs), JSON, HTML.

Formulas are shown as stored (display never simplifies); LaTeX comes from sympy's printer,
so ``C_out`` renders as ``C_{out}``.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sympy

if TYPE_CHECKING:
    from .cost import Cost
    from .network import NetworkCost, NetworkValues

__all__ = ["cost_latex", "text_table", "markdown_table", "latex_table", "json_report",
           "html_table", "table_rows", "group_digits"]

_METRIC_LABELS = {"macs": "MACs", "flops": "FLOPs", "params": "params", "buffers": "buffers",
                  "activations": "activations", "memory_bytes": "memory (bytes)"}
_TABLE_METRICS = ("macs", "flops", "params")


def group_digits(n: int, sep: str = ",") -> str:
    """``1234567`` → ``1,234,567`` (any separator, e.g. LaTeX's thin space ``\\,``)."""
    return f"{n:,}".replace(",", sep)


def cost_latex(cost: Cost) -> str:
    """A cost as an aligned LaTeX block (Jupyter's ``_repr_latex_``)."""
    lines = [rf"\text{{{_METRIC_LABELS[m]}}} &= {sympy.latex(getattr(cost, m))}"
             for m in ("macs", "flops", "params", "buffers", "activations", "memory_bytes")]
    return (r"$\begin{aligned}" + r" \\ ".join(lines)
            + rf" \\ &\text{{(convention: {cost.convention})}}\end{{aligned}}$")


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
    from .network import NetworkValues

    rows: list[TableRow] = []
    if isinstance(result, NetworkValues):
        for row, values, shape in result.rows:
            if depth is None or row.depth <= depth:
                rows.append(TableRow(row.path or "(network)", row.kind, row.depth,
                                     shape.text(), values.as_dict(),
                                     _note(row)))
        total = TableRow("total", "", 0, result.rows[0][2].text() if result.rows else "",
                         result.total.as_dict())
    else:
        for row in result.breakdown(depth):
            rows.append(TableRow(row.path or "(network)", row.kind, row.depth,
                                 row.output.text(),
                                 {m: getattr(row.cost, m) for m in _METRIC_LABELS},
                                 _note(row)))
        total = TableRow("total", "", 0, result.output.text(),
                         {m: getattr(result.total, m) for m in _METRIC_LABELS})
    return [r for r in rows if r.path != "(network)"], total


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


def _header(result) -> list[str]:
    from .network import NetworkValues

    net = result.network if isinstance(result, NetworkValues) else result
    title = net.spec.name or net.spec.kind
    lines = [f"{title} on input {net.input}, convention {net.convention!r}"]
    if isinstance(result, NetworkValues):
        lines.append("at " + ", ".join(f"{k}={v}" for k, v in result.values.items()))
    return lines


def _uncosted(result) -> list[str]:
    from .network import NetworkValues

    net = result.network if isinstance(result, NetworkValues) else result
    return [f"UNCOSTED {path}: {reason}" for path, reason in net.uncosted]


def text_table(result: NetworkCost | NetworkValues, depth: int | None = None) -> str:
    """A plain-text table for terminals (the CLI's default)."""
    rows, total = table_rows(result, depth)
    head = ["layer", "kind", "output", *(_METRIC_LABELS[m] for m in _TABLE_METRICS), ""]
    body = [["  " * (r.depth - 1) + r.path.rsplit(".", 1)[-1] if r.depth > 1 else r.path,
             r.kind, r.output, *(_cell(r.values[m]) for m in _TABLE_METRICS), r.note]
            for r in rows]
    foot = ["total", "", total.output, *(_cell(total.values[m]) for m in _TABLE_METRICS), ""]
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
    out = [f"**{_header(result)[0]}**" + ("  \n" + _header(result)[1]
                                          if len(_header(result)) > 1 else ""), "",
           "| layer | kind | output | " + " | ".join(labels) + " |",
           "|---|---|---|" + "---:|" * len(labels)]

    def esc(s: str) -> str:
        return s.replace("|", r"\|").replace("*", r"\*")

    for r in rows:
        out.append(f"| {esc(r.path)} | {r.kind} | {esc(r.output)} | "
                   + " | ".join(esc(_cell(r.values[m])) for m in _TABLE_METRICS)
                   + (f" {r.note}" if r.note else "") + " |")
    out.append("| **total** | | " + esc(total.output) + " | "
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


def _latex_cell(value: Any) -> str:
    if isinstance(value, int):
        return group_digits(value, r"\,")
    return f"${sympy.latex(value)}$"


def latex_table(result: NetworkCost | NetworkValues, depth: int | None = None, *,
                caption: str | None = None, label: str | None = None) -> str:
    """A booktabs LaTeX table (needs ``\\usepackage{booktabs}``)."""
    rows, total = table_rows(result, depth)
    labels = [_METRIC_LABELS[m] for m in _TABLE_METRICS]
    out = [r"\begin{table}[ht]", r"\centering", r"\begin{tabular}{lll" + "r" * len(labels) + "}",
           r"\toprule", "Layer & Kind & Output & " + " & ".join(labels) + r" \\", r"\midrule"]
    for r in rows:
        out.append(" & ".join([latex_escape(r.path), latex_escape(r.kind),
                               latex_escape(r.output).replace("×", r"$\times$"),
                               *(_latex_cell(r.values[m]) for m in _TABLE_METRICS)]) + r" \\")
    out += [r"\midrule",
            " & ".join([r"\textbf{Total}", "", latex_escape(total.output).replace(
                "×", r"$\times$"), *(_latex_cell(total.values[m]) for m in _TABLE_METRICS)])
            + r" \\", r"\bottomrule", r"\end{tabular}"]
    if caption:
        out.append(rf"\caption{{{latex_escape(caption)}}}")
    if label:
        out.append(rf"\label{{{label}}}")
    out.append(r"\end{table}")
    return "\n".join(out) + "\n"


def _json_value(value: Any) -> Any:
    if isinstance(value, int):
        return value
    if isinstance(value, sympy.Integer):
        return int(value)
    return str(value)


def json_report(result: NetworkCost | NetworkValues, depth: int | None = None) -> str:
    """A JSON report: input, convention, total and rows (formulas as strings)."""
    from .network import NetworkValues

    net = result.network if isinstance(result, NetworkValues) else result
    rows, total = table_rows(result, depth)
    doc = {
        "network": net.spec.name or net.spec.kind,
        "input": {k: _json_value(v) for k, v in net.input.axes().items()},
        "convention": net.convention,
        "values": result.values if isinstance(result, NetworkValues) else None,
        "total": {m: _json_value(v) for m, v in total.values.items()},
        "rows": [{"path": r.path, "kind": r.kind, "depth": r.depth, "output": r.output,
                  **{m: _json_value(v) for m, v in r.values.items()},
                  **({"note": r.note} if r.note else {})} for r in rows],
        "uncosted": [{"path": p, "reason": why} for p, why in net.uncosted],
    }
    return json.dumps(doc, indent=2) + "\n"


def html_table(result: NetworkCost | NetworkValues, depth: int | None = 2) -> str:
    """An HTML table for Jupyter: the closed-form total on top, then the rows."""
    from .network import NetworkValues

    rows, total = table_rows(result, depth)
    numeric = isinstance(result, NetworkValues)
    head = "".join(f"<th>{h}</th>" for h in ["layer", "kind", "output",
                                              *(_METRIC_LABELS[m] for m in _TABLE_METRICS)]
                   + (["share of MACs"] if numeric else []))
    body = []
    for r in rows:
        cells = [html.escape(r.path), html.escape(r.kind), html.escape(r.output)]
        for m in _TABLE_METRICS:
            v = r.values[m]
            cells.append(html.escape(_cell(v)) if numeric else
                         f"\\({sympy.latex(v)}\\)")
        if numeric:
            share = r.values["macs"] / total.values["macs"] if total.values["macs"] else 0
            cells.append(f"{100 * share:.1f}%")
        style = f' style="padding-left:{(r.depth - 1) * 1.2}em"'
        body.append("<tr>" + "".join(f"<td{style if i == 0 else ''}>{c}</td>"
                                     for i, c in enumerate(cells)) + "</tr>")
    if numeric:
        top = "<p>" + ", ".join(f"{_METRIC_LABELS[m]} = {_cell(total.values[m])}"
                                for m in _TABLE_METRICS) + "</p>"
    else:
        top = "<p>" + "<br>".join(f"{_METRIC_LABELS[m]} = \\({sympy.latex(total.values[m])}\\)"
                                  for m in _TABLE_METRICS) + "</p>"
    caption = html.escape(_header(result)[0])
    return (f"<div><strong>{caption}</strong>{top}<table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")
