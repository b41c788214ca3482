"""The ``symcost`` command.

    symcost report mobilenet_v1                       closed forms in H and W
    symcost report mobilenet_v1 --at H=224 W=224      exact numbers
    symcost report net.json --convention flops --format latex
    symcost report mobilenet_v1 --at H=224 W=224 --format latex-macros
    symcost plot mobilenet_v1 --vs H --range 64:512 --out macs.png
    symcost ratio regular.json separable.json         simplified ratio of two specs
    symcost list                                      built-in networks
    symcost report net.yaml --at H=224 W=224          a YAML (or JSON) network document
    symcost dump resnet18 --format yaml > resnet18.yaml   a built-in network as a document
    symcost schema > symcost.schema.json              JSON Schema of network documents
    symcost conventions                               counting conventions
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path

from . import zoo
from .algebra import ratio
from .conventions import convention_names, get_convention
from .cost import bind_values
from .errors import SpecFileError, SymcostError, SymcostWarning, UnboundDimensionError
from .io import document_schema, dump, load_spec, spec_from_json
from .report import incomplete_message
from .shapes import Shape

__all__ = ["main"]

_FORMATS = ("text", "markdown", "latex", "json", "csv", "latex-macros")


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


def _resolve(target: str, params: dict[str, object], values: Mapping[str, int | range],
             input_shape: Shape | None = None):
    """A spec and its input from a zoo name, a JSON file or an inline JSON spec.

    A built-in network's H and W are declared multiples of its total stride (floor-free
    closed forms) unless ``values`` holds a size that is not such a multiple.
    """
    if target.lstrip().startswith("{"):
        if params:
            raise SymcostError("--param applies to built-in networks only.")
        spec, shape = spec_from_json(target, source="inline spec")
        shape = input_shape or shape
        if shape is None:
            raise SpecFileError("inline spec: no input shape. Give --input C=C_in H=H W=W.")
        return spec, shape
    path = Path(target)
    if path.suffix.lower() in (".json", ".yaml", ".yml") or path.exists():
        if params:
            raise SymcostError("--param applies to built-in networks only; edit the file "
                               "instead.")
        spec, shape = load_spec(path)
        shape = input_shape or shape
        if shape is None:
            raise SpecFileError(f"{path}: the document has no 'input' shape. Add "
                                '"input": {"C": 3, "H": "H", "W": "W"} next to "network".')
        return spec, shape
    entry = zoo.get(target)
    spec = _build(entry, params)
    if input_shape is not None:
        return spec, input_shape
    shape = entry.input(multiple=True)
    if values:
        # a value that is not a multiple of the total stride needs the exact floors
        multiples = {s.name: getattr(s, "multiple", 1) for axis in shape.axes().values()
                     for s in axis.free_symbols}
        if any(v % multiples.get(k, 1) for k, vs in values.items()
               for v in (vs if isinstance(vs, range) else [vs])):
            shape = entry.input(multiple=False)
    return spec, shape


def _build(entry: zoo.ZooEntry, params: dict[str, object]):
    """A built-in network from its builder and the --param arguments."""
    try:
        return entry.build(**params)
    except TypeError as exc:  # an unknown builder keyword
        raise SymcostError(f"--param: {exc}.") from None


_METRICS = ["macs", "flops", "params", "buffers", "activations", "memory_bytes"]


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Shows every option's default (unless its help already says it) and keeps the
    examples' line breaks."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("default" in text or action.default in (None, [], False, argparse.SUPPRESS)
                or not action.option_strings):
            return text
        shown = " ".join(action.default) if isinstance(action.default, list) else "%(default)s"
        return f"{text} (default: {shown})".lstrip()


def _command(sub, name: str, summary: str, examples: str):
    return sub.add_parser(name, help=summary, description=summary[:1].upper() + summary[1:]
                          + ".", epilog="example:\n  " + examples.replace("\n", "\n  "),
                          formatter_class=_HelpFormatter)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symcost", description="Exact, closed-form cost formulas for neural networks.",
        epilog="example:\n  symcost report mobilenet_v1 --at H=224\n\n"
               "'symcost COMMAND --help' shows each command's options and an example.",
        formatter_class=_HelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    rep = _command(sub, "report", "per-layer cost report of a network",
                   "symcost report mobilenet_v1 --at H=224              # W follows H\n"
                   "symcost report resnet50 --depth 2 --format markdown  # closed forms\n"
                   "symcost report mobilenet_v1 --at H=224 --format latex --numbers si "
                   "--caption 'MobileNetV1' --label tab:mnv1")
    rep.add_argument("network", help="a built-in name (see 'symcost list') or a JSON/YAML "
                     "network document")
    rep.add_argument("--at", nargs="+", default=[], metavar="NAME=INT",
                     help="evaluate at these values (e.g. H=224 W=224; W follows H when "
                          "only H is given); without it the report shows closed forms")
    rep.add_argument("--convention", default="seed",
                     help="counting convention: " + ", ".join(convention_names())
                          + " ('symcost conventions' says what each counts)")
    rep.add_argument("--format", default="text", choices=_FORMATS, help="output format")
    rep.add_argument("--depth", default=None, metavar="N|all",
                     help="deepest level of rows shown (default: 1 for text, markdown and "
                          "latex, every row for json and csv; 'all' shows the full tree)")
    rep.add_argument("--param", nargs="+", default=[], metavar="NAME=VALUE",
                     help="builder arguments of a built-in network (e.g. alpha=0.75)")
    rep.add_argument("--caption", default=None, help="latex: the table's caption (LaTeX, "
                     "not escaped, so it may hold math)")
    rep.add_argument("--label", default=None, help="latex: the table's \\label")
    rep.add_argument("--numbers", default="grouped", choices=["grouped", "si"],
                     help="latex: 568\\,740\\,352 (grouped) or 569\\,M (si)")
    rep.add_argument("--metrics", nargs="+", default=["macs", "flops", "params"],
                     choices=_METRICS, metavar="METRIC",
                     help="latex: the metric columns")
    rep.add_argument("--prefix", default=None, help="latex-macros: the macros' name prefix "
                     "(default: the network's name)")
    plot = _command(sub, "plot", "PNG of a metric against a dimension",
                    "symcost plot resnet50 --vs H --range 64:512:32 --out resnet50.png")
    plot.add_argument("network", help="a built-in name or a JSON/YAML network document")
    plot.add_argument("--vs", default="H", help="the dimension on the x axis (W follows H "
                      "unless --at fixes it)")
    plot.add_argument("--range", required=True, metavar="START:STOP[:STEP]",
                      help="values of the dimension, inclusive (e.g. 64:512:32)")
    plot.add_argument("--metric", default="macs", choices=_METRICS, help="the y axis")
    plot.add_argument("--convention", default="seed", help="counting convention: "
                      + ", ".join(convention_names()))
    plot.add_argument("--at", nargs="+", default=[], metavar="NAME=INT",
                      help="values of the other dimensions")
    plot.add_argument("--param", nargs="+", default=[], metavar="NAME=VALUE",
                      help="builder arguments of a built-in network (e.g. alpha=0.75)")
    plot.add_argument("--out", default=None, help="PNG path (default: NETWORK_METRIC.png)")
    ratio = _command(sub, "ratio", "simplified ratio of two specs' costs",
                     "symcost ratio examples/regular.json examples/separable.json "
                     "--at C_out=128 K=3")
    ratio.add_argument("first", help="built-in name, JSON/YAML document or inline JSON spec")
    ratio.add_argument("second", help="built-in name, JSON/YAML document or inline JSON spec")
    ratio.add_argument("--input", nargs="+", default=[], metavar="AXIS=SIZE",
                       help="input shape for inline specs, e.g. C=C_in H=H W=W")
    ratio.add_argument("--metric", default="macs", choices=_METRICS,
                       help="the metric compared")
    ratio.add_argument("--convention", default="seed", help="counting convention: "
                       + ", ".join(convention_names()))
    ratio.add_argument("--at", nargs="+", default=[], metavar="NAME=INT",
                       help="also print the ratio's value at these sizes")
    dmp = _command(sub, "dump", "a built-in network as a JSON/YAML network document",
                   "symcost dump resnet18 --format yaml --out resnet18.yaml")
    dmp.add_argument("network", help="a built-in name (see 'symcost list')")
    dmp.add_argument("--format", default="json", choices=["json", "yaml"],
                     help="document format")
    dmp.add_argument("--param", nargs="+", default=[], metavar="NAME=VALUE",
                     help="builder arguments (e.g. alpha=0.75)")
    dmp.add_argument("--exact-floors", action="store_true",
                     help="declare H and W plain sizes instead of multiples of the total "
                          "stride (closed forms then keep their floors)")
    dmp.add_argument("--out", default=None, help="write here (default: standard output)")
    _command(sub, "schema", "JSON Schema of network documents",
             "symcost schema > symcost.schema.json")
    _command(sub, "list", "built-in networks", "symcost list")
    _command(sub, "conventions", "counting conventions", "symcost conventions")
    return parser


def _params(items: list[str]) -> dict[str, object]:
    return {k: int(v) if v.isdigit() else v
            for k, v in _assignments(items, "--param").items()}


def _depth(text: str | None, fmt: str) -> int | None:
    """--depth: an int, 'all', or by format (1 for tables people read, all for data)."""
    if text is None:
        return 1 if fmt in ("text", "markdown", "latex") else None
    if text == "all":
        return None
    if not text.isascii() or not text.isdigit():
        raise SymcostError(f"--depth: expected a whole number or 'all' (given {text!r}), "
                           "e.g. --depth 2.")
    return int(text)


def _square(values: dict[str, int], free: set[str]) -> dict[str, int]:
    """W follows H (square inputs) when only H is given, as in 'symcost plot'."""
    if "H" in values and "W" not in values and "W" in free:
        return {**values, "W": values["H"]}
    return values


def _missing(names, values: Mapping[str, object]) -> SymcostError:
    """An error phrased as the --at option (not as a Python call) for sizes without a value."""
    given = " ".join(f"{k}={v}" for k, v in values.items() if not isinstance(v, range))
    return SymcostError("--at: no value for " + ", ".join(sorted(names)) + ". Give every "
                        "size: --at " + " ".join([given, *(f"{m}=<int>" for m in
                                                          sorted(names))]).strip())


_ADVICE = ("{where} lists them under UNCOSTED; treat the total as a lower bound, or describe "
           "those layers in a network document (a custom layer with counts).")


def _quietly(fn, *args, **kwargs):
    """Call ``fn`` with the library's SymcostWarnings silenced: the CLI says it its way."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SymcostWarning)
        return fn(*args, **kwargs)


def _warn_partial(result, target: str, reported: bool = False) -> None:
    """A CLI-worded warning when ``result``'s total leaves out uncosted layers."""
    if result.uncosted:
        where = "The report" if reported else f"'symcost report {target}'"
        warnings.warn(incomplete_message(result.uncosted, target,
                                         _ADVICE.format(where=where)), SymcostWarning,
                      stacklevel=2)


def _evaluate(result, values: dict[str, int]):
    """Evaluate, with errors phrased as --at options instead of Python calls."""
    try:
        return result.evaluate(values)
    except UnboundDimensionError as exc:
        raise _missing(exc.missing, values) from None


def _report(args) -> str:
    convention = get_convention(args.convention)
    values = _int_values(args.at)
    depth = _depth(args.depth, args.format)
    spec, shape = _resolve(args.network, _params(args.param), _square(values, {"W"}))
    result = spec.analyze(shape, convention)
    values = _square(values, {s.name for s in result._total.free_symbols})
    shown = _quietly(_evaluate, result, values) if values else result
    _warn_partial(result, args.network, reported=True)
    if args.format == "latex-macros":  # the total only, unless --depth asks for rows
        rows = 0 if args.depth is None else _depth(args.depth, args.format)
        return shown.to_latex_macros(args.prefix, depth=10**6 if rows is None else rows)
    if args.format == "latex":
        return shown.to_latex(depth, caption=args.caption, label=args.label,
                              numbers=args.numbers, metrics=args.metrics, escape=False)
    return {"text": shown.to_text, "markdown": shown.to_markdown, "json": shown.to_json,
            "csv": shown.to_csv}[args.format](depth)


def _range(text: str) -> range:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(p.strip().isdigit() for p in parts):
        raise SymcostError(f"--range: expected START:STOP or START:STOP:STEP with positive "
                           f"integers (given {text!r}), e.g. --range 64:512:32.")
    start, stop, *rest = (int(p) for p in parts)
    step = rest[0] if rest else max(1, (stop - start) // 32)
    if start < 1 or stop < start or step < 1:
        raise SymcostError(f"--range: need 1 <= START <= STOP and STEP >= 1 (given {text!r}).")
    return range(start, stop + 1, step)


def _plot(args) -> str:
    from .plots import plot_vs

    xs = _range(args.range)
    values = _int_values(args.at)
    spec, shape = _resolve(args.network, _params(args.param), {**values, args.vs: xs})
    result = spec.analyze(shape, get_convention(args.convention))
    _warn_partial(result, args.network)
    free = {s.name for s in result._total.free_symbols}
    if args.vs not in free:
        raise SymcostError(f"--vs: {args.vs!r} is not a dimension of this network's cost "
                           f"(its symbols: {', '.join(sorted(free)) or 'none'}).")
    tied = [args.vs] + (["W"] if args.vs == "H" and "W" in free and "W" not in values else [])
    unset = free - set(tied) - set(values)
    if unset:
        raise _missing(unset, values)
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        raise SymcostError("plot needs matplotlib: pip install 'symcost[plot]'.") from None
    ax = _quietly(plot_vs, {spec.name or args.network: result}, tied, xs, metric=args.metric,
                  fixed=values)
    ax.set_title(f"{spec.name or args.network}: {args.metric} ({args.convention})")
    out = args.out or f"{Path(args.network).stem}_{args.metric}.png"
    ax.figure.tight_layout()
    ax.figure.savefig(out, dpi=120)
    return f"wrote {out}\n"


def _shape_arg(items: list[str]) -> Shape | None:
    if not items:
        return None
    return Shape(**_assignments(items, "--input"))


def _ratio(args) -> str:
    convention = get_convention(args.convention)
    shape = _shape_arg(args.input)
    costs = []
    for target in (args.first, args.second):
        spec, spec_shape = _resolve(target, {}, {}, shape)
        result = spec.analyze(spec_shape, convention)
        _warn_partial(result, target)
        costs.append(result._total)
    value = ratio(costs[0], costs[1], metric=args.metric)
    out = f"{value}\n"
    values = _int_values(args.at)
    if values:
        try:
            at = bind_values(value.free_symbols, values)
        except UnboundDimensionError as exc:
            raise _missing(exc.missing, values) from None
        exact = value.xreplace(at)
        out += f"at {', '.join(f'{k}={v}' for k, v in values.items())}: {exact}"
        out += f" = {float(exact):.4g}\n" if not exact.is_Integer else "\n"
    return out


def _dump(args) -> str:
    entry = zoo.get(args.network)
    spec = _build(entry, _params(args.param))
    text = dump(spec, args.out, format=args.format,
                input=entry.input(multiple=not args.exact_floors))
    return f"wrote {args.out}\n" if args.out else text


def _schema() -> str:
    import json

    return json.dumps(document_schema(), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _build_parser().parse_args(argv)
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always", SymcostWarning)
            caught = record
            out = _run(args)
    except SymcostError as exc:
        print(f"symcost: error: {exc}", file=sys.stderr)
        return 2
    finally:
        for w in caught:  # e.g. an INCOMPLETE total, said once, in the CLI's own words
            if issubclass(w.category, SymcostWarning):
                print(f"symcost: warning: {w.message}", file=sys.stderr)
    sys.stdout.write(out)
    return 0


def _run(args) -> str:
    """The output of one command."""
    if args.command == "list":
        return "".join(f"{e.name:24} {e.summary}\n" for e in zoo.list_models())
    if args.command == "conventions":
        return "".join(f"{n:8} {get_convention(n).summary}\n" for n in convention_names())
    return {"plot": _plot, "ratio": _ratio, "dump": _dump, "schema": lambda _: _schema(),
            "report": _report}[args.command](args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
