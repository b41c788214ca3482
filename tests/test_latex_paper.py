"""LaTeX for a paper (issue 18, item 4): caption above, math in captions, column selection,
hidden zero rows, fixed significant digits, and tables that fit a two-column article's
\\columnwidth — compiled with pdflatex when it is installed."""

import re
import shutil
import subprocess

import pytest

import symcost as sc
from symcost.cli import main
from symcost.report import si_number

H32, W32 = sc.dim("H", multiple_of=32), sc.dim("W", multiple_of=32)


@pytest.fixture(scope="module")
def tables():
    """MobileNetV1 and ResNet-50, symbolic (floor-free and exact floors) and numeric."""
    out = {}
    for name, build in (("mobilenet_v1", sc.zoo.mobilenet_v1), ("resnet50", sc.zoo.resnet50)):
        net = build()
        multiple = net.cost(sc.Shape(C=3, H=H32, W=W32), "macs")
        floors = net.cost(sc.Shape(C=3, H="H", W="W"), "macs")
        out[f"{name} symbolic"] = multiple.to_latex(depth=1, caption=f"{name}, closed form")
        out[f"{name} floors"] = floors.to_latex(depth=1)
        values = multiple.evaluate(H=224, W=224)
        out[f"{name} grouped"] = values.to_latex(depth=1, caption=name, label="tab:" + name)
        out[f"{name} si"] = values.to_latex(depth=2, numbers="si")
        # what a paper's column holds: these fit without being scaled
        out[f"{name} paper symbolic"] = multiple.to_latex(
            depth=1, metrics=["macs", "params"], kind=False, output=False, hide_zero=True)
        out[f"{name} paper numeric"] = values.to_latex(
            depth=1, metrics=["macs", "params"], kind=False, numbers="si", hide_zero=True)
    return out


def test_caption_goes_above_the_table(tables):
    text = tables["resnet50 grouped"]
    assert text.index(r"\caption{resnet50}") < text.index(r"\begin{tabular}")
    assert text.index(r"\label{tab:resnet50}") < text.index(r"\begin{tabular}")


def test_caption_escapes_unless_told_not_to():
    values = sc.zoo.mobilenet_v1().cost(sc.Shape(C=3, H=224, W=224), "macs")
    assert r"\caption{50\% of $\alpha$}" in values.to_latex(caption=r"50\% of $\alpha$",
                                                           escape=False)
    assert r"\caption{a\_b}" in values.to_latex(caption="a_b")


def test_metrics_choose_the_columns_and_kind_output_can_go():
    values = sc.zoo.mobilenet_v1().cost(sc.Shape(C=3, H=224, W=224), "macs")
    text = values.to_latex(depth=1, metrics=["macs", "params"], kind=False, output=False)
    assert "Layer & MACs & params" in text
    assert "Kind" not in text and "Output" not in text and "FLOPs" not in text.split(
        r"\end{tabular}")[0]
    total = next(line for line in text.splitlines() if line.startswith(r"\textbf{total}"))
    assert total == r"\textbf{total} & 568\,740\,352 & 4\,231\,976 \\"


@pytest.mark.parametrize("bad", ["mac", ["macs", "gflops"], []])
def test_an_unknown_metric_is_a_symcost_error(bad):
    values = sc.zoo.mobilenet_v1().cost(sc.Shape(C=3, H=224, W=224), "macs")
    with pytest.raises(sc.SymcostError, match=r"(unknown metric|metrics is empty).* of: macs"):
        values.to_latex(metrics=bad)


def test_hide_zero_drops_rows_without_cost():
    values = sc.zoo.resnet50().cost(sc.Shape(C=3, H=224, W=224), "macs")
    shown = values.to_latex(depth=1, metrics=["macs"], hide_zero=True)
    assert "relu" not in shown and "maxpool" not in shown and "conv1" in shown
    assert "relu" in values.to_latex(depth=1, metrics=["macs"])


def test_si_numbers_keep_their_significant_digits():
    assert [si_number(n, sep=" ") for n in (15_000_000, 1_340_000_000, 4_089_184_256,
                                             999_999, 100_000, 1_000)] == [
        "15.0 M", "1.34 G", "4.09 G", "1.00 M", "100 k", "1.00 k"]
    assert si_number(15_000_000, 4, sep=" ") == "15.00 M"
    values = sc.zoo.resnet50().cost(sc.Shape(C=3, H=224, W=224), "macs")
    assert r"2.05\,M" in values.to_latex(depth=1, numbers="si")


def test_formulas_can_break_at_their_plus_signs(tables):
    # \left(...\right) would make each bracket one unbreakable box
    assert r"\left" not in tables["resnet50 floors"]
    assert r"\lfloor" in tables["resnet50 floors"]


def test_cli_latex_flags(capsys):
    assert main(["report", "mobilenet_v1", "--at", "H=224", "--format", "latex",
                 "--caption", r"MobileNetV1 at $224^2$", "--label", "tab:m", "--numbers", "si",
                 "--metrics", "macs", "params", "--convention", "macs"]) == 0
    out = capsys.readouterr().out
    assert r"\caption{MobileNetV1 at $224^2$}" in out and r"\label{tab:m}" in out
    assert r"\textbf{total} &  & 1000 & 569\,M & 4.23\,M \\" in out
    assert main(["report", "mobilenet_v1", "--at", "H=224", "--format", "latex-macros",
                 "--prefix", "mnv"]) == 0
    assert r"\newcommand{\mnvMACs}{569\,M}" in capsys.readouterr().out


TWO_COLUMN = (r"\documentclass[twocolumn]{article}\usepackage{booktabs,graphicx}"
              r"\usepackage[utf8]{inputenc}"
              # report each table's natural width, and the column it must fit
              r"\let\symcostusebox\usebox\renewcommand\usebox[1]{\typeout{SYMCOST-BOX "
              r"\the\wd#1{} of \the\columnwidth}\symcostusebox{#1}}"
              r"\begin{document}")


def test_tables_fit_a_two_column_article_without_overfull_boxes(tables, tmp_path):
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (a TeX installation is optional; "
                    "apt-get install texlive-latex-extra)")
    body = "\n".join(f"{t}\n\\clearpage" for t in tables.values())
    (tmp_path / "t.tex").write_text(TWO_COLUMN + body + r"\end{document}")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    log = (tmp_path / "t.log").read_text(errors="replace")
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "Overfull" not in log, [x for x in log.splitlines() if "Overfull" in x]
    boxes = re.findall(r"SYMCOST-BOX ([\d.]+)pt\S* of ([\d.]+)pt", log)
    assert len(boxes) == len(tables)  # each table set once, in a two-column article's column
    assert {float(col) for _, col in boxes} == {229.5}
    natural = dict(zip(tables, (float(width) for width, _ in boxes)))
    assert [name for name, width in natural.items() if "paper" in name and width > 229.5] == []
    # with every column, a floor-free symbolic table needs at most a 20% reduction
    assert natural["mobilenet_v1 symbolic"] < 1.2 * 229.5
    assert natural["resnet50 symbolic"] < 1.2 * 229.5
    # one table a page (\clearpage), each scaled to the column when naturally wider
    pages = re.search(r"Output written on t.pdf \((\d+) pages?", proc.stdout)
    assert pages and int(pages.group(1)) == len(tables)
