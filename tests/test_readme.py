"""The README's Python blocks run, in order, in one namespace, as a reader would paste them;
every value a comment states (an integer or a formula) is checked against what the line
computes. Independent figures: the seed's worked example, MobileNetV1's paper (569M), and
torch's FlopCounterMode for ResNet-50 (checked in test_torch_import.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import sympy

import symcost as sc

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"),
                    flags=re.S | re.M)


def _stated(lines: list[str], node: ast.expr) -> str | None:
    """The comment that states an expression statement's value: on its last line, or alone
    on the line after it."""
    end = lines[node.end_lineno - 1]
    if "#" in end[node.end_col_offset:]:
        return end[node.end_col_offset:].split("#", 1)[1].strip()
    after = lines[node.end_lineno].strip() if node.end_lineno < len(lines) else ""
    return after[1:].strip() if after.startswith("#") else None


def _claim(comment: str):
    """An integer or a formula at the start of a comment, else None (a remark)."""
    head = re.split(r" \(|, | as ", comment)[0].strip()
    if re.fullmatch(r"[\d,]+", head):
        return int(head.replace(",", ""))
    if re.search(r"[*/+]", head) and re.fullmatch(r"[\w*/+\- ().]+", head):
        return sc.parse(head)
    return None


def _plain(value):
    """Symbols by name only, so a declared multiple equals the parsed plain name."""
    value = sympy.sympify(value)
    return value.xreplace({s: sympy.Symbol(s.name) for s in value.free_symbols})


def _namespace():
    ns: dict = {"__name__": "readme"}
    try:
        import torch  # noqa: F401

        from .torch_models import ResNet50
        ns["model"] = ResNet50().eval()  # the README's "model below is a ResNet-50"
    except ImportError:
        pass
    return ns


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 5


def test_every_block_runs_and_every_stated_value_holds(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib", reason="the README plots (extra 'plot')")
    pytest.importorskip("pandas", reason="the README exports a DataFrame (extra 'pandas')")
    monkeypatch.chdir(tmp_path)  # a block writes resnet18.yaml
    monkeypatch.setenv("MPLBACKEND", "Agg")
    ns, checked = _namespace(), 0
    for number, block in enumerate(BLOCKS, 1):
        if re.search(r"\bmodel\b", block) and "model" not in ns:
            continue  # the PyTorch recipe, without torch
        lines = block.splitlines()
        for stmt in ast.parse(block).body:
            code = compile(ast.Module([stmt], []), f"README block {number}", "exec")
            if not isinstance(stmt, ast.Expr):
                exec(code, ns)
                continue
            shown = stmt.value  # print(x): the comment states what x is
            if (isinstance(shown, ast.Call) and isinstance(shown.func, ast.Name)
                    and shown.func.id == "print" and len(shown.args) == 1):
                shown = shown.args[0]
            value = eval(compile(ast.Expression(shown), f"README block {number}", "eval"), ns)
            comment = _stated(lines, stmt)
            claim = _claim(comment) if comment else None
            if claim is not None:
                assert sympy.simplify(_plain(value) - _plain(claim)) == 0, (
                    f"README block {number}, line {stmt.lineno}: computes {value}, "
                    f"the comment says {comment!r}")
                checked += 1
    assert checked >= 6  # the seed's numbers, the ratio, MobileNetV1's formula and 569M
