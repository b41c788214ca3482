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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sympy

from .errors import SymcostError

if TYPE_CHECKING:
    from .cost import Cost
    from .network import NetworkCost, NetworkValues

__all__ = ["Reportable", "cost_latex", "text_table", "markdown_table", "latex_table",
           "json_report", "html_table", "csv_table", "dataframe", "latex_macros",
           "table_rows", "group_digits", "si_number", "macro_name"]

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
                                 {m: _plain(getattr(row.cost, m)) for m in _METRIC_LABELS},
                                 _note(row)))
        total = TableRow("total", "", 0, result.output.text(),
                         {m: _plain(getattr(result.total, m)) for m in _METRIC_LABELS})
    return [r for r in rows if r.path != "(network)"], total


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


def _header(result) -> list[str]:
    from .network import NetworkValues

    net = result.network if isinstance(result, NetworkValues) else result
    title = net.spec.name or net.spec.kind
    lines = [f"{title} on input {net.input}, convention {net.convention!r}"]
    if isinstance(result, NetworkValues) and result.values:
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


_SI = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k"))


def si_number(n: int, digits: int = 3, sep: str = r"\,") -> str:
    r"""An integer with an SI prefix and ``digits`` significant digits: ``4.09\,G``.

    >>> print(si_number(4_089_184_256))
    4.09\,G
    >>> si_number(999, sep=" ")
    '999'
    """
    for scale, prefix in _SI:
        if abs(n) >= scale:
            return f"{n / scale:.{digits}g}{sep}{prefix}"
    return str(n)


def _latex_cell(value: Any, numbers: str = "grouped") -> str:
    if isinstance(value, int):
        return si_number(value) if numbers == "si" else group_digits(value, r"\,")
    return f"${sympy.latex(value)}$"


def latex_table(result: NetworkCost | NetworkValues, depth: int | None = None, *,
                caption: str | None = None, label: str | None = None,
                numbers: str = "grouped") -> str:
    """A booktabs LaTeX table (needs ``\\usepackage{booktabs}``).

    ``numbers="grouped"`` writes 4\\,089\\,184\\,256; ``numbers="si"`` writes 4.09\\,G.
    """
    if numbers not in ("grouped", "si"):
        raise SymcostError(f"to_latex: numbers must be 'grouped' or 'si' (given {numbers!r}).")
    rows, total = table_rows(result, depth)
    labels = [_METRIC_LABELS[m] for m in _TABLE_METRICS]
    out = [r"\begin{table}[ht]", r"\centering", r"\begin{tabular}{lll" + "r" * len(labels) + "}",
           r"\toprule", "Layer & Kind & Output & " + " & ".join(labels) + r" \\", r"\midrule"]
    for r in rows:
        out.append(" & ".join([latex_escape(r.path), latex_escape(r.kind),
                               latex_escape(r.output).replace("×", r"$\times$"),
                               *(_latex_cell(r.values[m], numbers) for m in _TABLE_METRICS)])
                   + r" \\")
    foot = [r"\textbf{Total}", "", latex_escape(total.output).replace("×", r"$\times$"),
            *(_latex_cell(total.values[m], numbers) for m in _TABLE_METRICS)]
    out += [r"\midrule", " & ".join(foot) + r" \\", r"\bottomrule", r"\end{tabular}"]
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
    from .network import NetworkValues

    net = result.network if isinstance(result, NetworkValues) else result
    base = macro_name(prefix if prefix is not None else (net.spec.name or net.spec.kind))
    rows, total = table_rows(result, depth if depth > 0 else 0)
    lines = [f"% symcost: {_header(result)[0]}" + (f"; {_header(result)[1]}"
                                                  if len(_header(result)) > 1 else "")]

    def emit(stem: str, values: dict[str, Any]) -> None:
        for metric, suffix in _MACRO_SUFFIX.items():
            value = values[metric]
            text = (si_number(value, digits) if isinstance(value, int)
                    else rf"\ensuremath{{{sympy.latex(value)}}}")
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

    def to_latex(self, depth: int | None = None, **kwargs: Any) -> str:
        """booktabs LaTeX table; ``caption``, ``label``, ``numbers="grouped"|"si"``."""
        return latex_table(self, depth=depth, **kwargs)  # type: ignore[arg-type]

    def to_json(self, depth: int | None = None) -> str:
        """JSON report (formulas as strings)."""
        return json_report(self, depth=depth)  # type: ignore[arg-type]

    def to_csv(self, depth: int | None = None) -> str:
        """CSV rows plus a total row."""
        return csv_table(self, depth=depth)  # type: ignore[arg-type]

    def to_dataframe(self, depth: int | None = None):
        """pandas DataFrame of the rows (optional extra)."""
        return dataframe(self, depth=depth)  # type: ignore[arg-type]

    def to_latex_macros(self, prefix: str | None = None, **kwargs: Any) -> str:
        """``\\newcommand`` macros for the total (and rows with ``depth``)."""
        return latex_macros(self, prefix, **kwargs)  # type: ignore[arg-type]

    def _repr_html_(self) -> str:
        return html_table(self)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return self.to_text()
