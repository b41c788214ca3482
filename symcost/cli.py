"""The ``symcost`` command.

    symcost report mobilenet_v1                       closed forms in H and W
    symcost report mobilenet_v1 --at H=224 W=224      exact numbers
    symcost report net.json --convention flops --format latex
    symcost list                                      built-in networks
    symcost conventions                               counting conventions
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import zoo
from .conventions import convention_names, get_convention
from .errors import SpecFileError, SymcostError
from .io import load_spec

__all__ = ["main"]

_FORMATS = ("text", "markdown", "latex", "json")


def _assignments(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise SymcostError(f"{flag}: expected NAME=VALUE (given {item!r}), e.g. {flag} "
                               "H=224 W=224.")
        out[name.strip()] = value.strip()
    return out


def _int_values(items: list[str]) -> dict[str, int]:
    values = {}
    for name, text in _assignments(items, "--at").items():
        if not text.isdigit() or len(text) > 30:
            raise SymcostError(f"--at: {name} must be a positive integer (given {text!r}).")
        values[name] = int(text)
    return values


def _resolve(target: str, params: dict[str, object], values: dict[str, int]):
    path = Path(target)
    if path.suffix.lower() == ".json" or path.exists():
        if params:
            raise SymcostError("--param applies to built-in networks only; edit the file "
                               "instead.")
        spec, shape = load_spec(path)
        if shape is None:
            raise SpecFileError(f"{path}: the document has no 'input' shape. Add "
                                '"input": {"C": 3, "H": "H", "W": "W"} next to "network".')
        return spec, shape
    entry = zoo.get(target)
    spec = entry.build(**params)
    shape = entry.input(multiple=True)
    if values:
        # a value that is not a multiple of the total stride needs the exact floors
        multiples = {s.name: getattr(s, "multiple", 1) for axis in shape.axes().values()
                     for s in axis.free_symbols}
        if any(v % multiples.get(k, 1) for k, v in values.items()):
            shape = entry.input(multiple=False)
    return spec, shape


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symcost", description="Exact, closed-form cost formulas for neural networks.")
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("report", help="per-layer cost report of a network")
    rep.add_argument("network", help="a built-in name (see 'symcost list') or a JSON file")
    rep.add_argument("--at", nargs="+", default=[], metavar="NAME=INT",
                     help="evaluate at these values (e.g. H=224 W=224); without it the "
                          "report shows closed forms")
    rep.add_argument("--convention", default="seed",
                     help="counting convention: " + ", ".join(convention_names()))
    rep.add_argument("--format", default="text", choices=_FORMATS)
    rep.add_argument("--depth", type=int, default=None, help="deepest level of rows shown")
    rep.add_argument("--param", nargs="+", default=[], metavar="NAME=VALUE",
                     help="builder arguments of a built-in network (e.g. alpha=0.75)")
    sub.add_parser("list", help="built-in networks")
    sub.add_parser("conventions", help="counting conventions")
    return parser


def _report(args) -> str:
    convention = get_convention(args.convention)
    values = _int_values(args.at)
    params: dict[str, object] = {}
    for k, v in _assignments(args.param, "--param").items():
        params[k] = int(v) if v.isdigit() else v
    try:
        spec, shape = _resolve(args.network, params, values)
    except TypeError as exc:  # an unknown builder keyword
        raise SymcostError(f"--param: {exc}.") from None
    result = spec.analyze(shape, convention)
    shown = result.evaluate(values) if values else result
    return {"text": shown.to_text, "markdown": shown.to_markdown, "latex": shown.to_latex,
            "json": shown.to_json}[args.format](args.depth)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "list":
            out = "".join(f"{e.name:24} {e.summary}\n" for e in zoo.list_models())
        elif args.command == "conventions":
            out = "".join(f"{n:8} {get_convention(n).summary}\n" for n in convention_names())
        else:
            out = _report(args)
    except SymcostError as exc:
        print(f"symcost: error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
