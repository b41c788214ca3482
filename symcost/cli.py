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
from fractions import Fraction
from pathlib import Path
from typing import Any

from . import zoo
from .algebra import ratio
from .conventions import convention_names, get_convention
from .cost import bind_values
from .errors import SpecFileError, SymcostError, SymcostWarning, UnboundDimensionError
from .io import MAX_DOCUMENT_BYTES, document_schema, dump, load_document, without_multiples
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


def _is_decimal(text: str) -> bool:
    """ASCII decimal digits only: str.isdigit() also accepts '²²⁴' and '٣٢'."""
    return text.isascii() and text.isdigit()


def _int_values(items: list[str]) -> dict[str, int | Fraction]:
    values: dict[str, int | Fraction] = {}
    for name, text in _assignments(items, "--at").items():
        num, slash, den = text.partition("/")
        if slash and _is_decimal(num) and _is_decimal(den) and len(text) <= 61 \
                and int(den) and int(num):
            # an exact fraction, for a positive real symbol such as a width multiplier;
            # evaluate refuses it for a size
            values[name] = Fraction(int(num), int(den))
            continue
        if not _is_decimal(text) or int(text) < 1:
            raise SymcostError(f"--at: {name} must be a positive integer written with the "
                               f"digits 0-9 (given {text!r}), e.g. --at {name}=224.")
        if len(text) > 30:
            raise SymcostError(f"--at: {name} has {len(text)} digits (given {text[:20]}...); "
                               "the limit is 30.")
        values[name] = int(text)
    return values


def _known_names(values: Mapping[str, object], symbols: set, flag: str = "--at") -> None:
    """Every name given a value must be a symbol of the result: a typo, or N=8 on a network
    whose batch is fixed at 1, would otherwise be ignored while the header shows it."""
    names = {s.name for s in symbols}
    unknown = [n for n in values if n not in names]
    if unknown:
        raise SymcostError(
            f"{flag}: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a "
            f"symbol of this cost (its symbols: {', '.join(sorted(names)) or 'none'}). "
            "Remove it: only the symbols of the cost take values.")


def _resolve(target: str, params: Mapping[str, str],
             values: Mapping[str, int | Fraction | range],
             input_shape: Shape | None = None):
    """A spec and its input from a zoo name, a JSON file or an inline JSON spec.

    A built-in network's H and W are declared multiples of its total stride (floor-free
    closed forms) unless ``values`` holds a size that is not such a multiple.
    """
    if not target.strip():
        raise SymcostError("no network given: name a built-in network (symcost list) or a "
                           "JSON/YAML document.")
    if target == "-":  # a document on standard input
        if params:
            raise SymcostError("--param applies to built-in networks only.")
        doc = load_document(sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1))
        shape = input_shape or doc.input
        if shape is None:
            raise SpecFileError("standard input: the document has no 'input' shape.")
        if _off_lattice(shape, values):
            spec, plain = without_multiples(doc.network, shape)
            return spec, plain or shape
        return doc.network, shape
    if target.lstrip().startswith("{"):
        if params:
            raise SymcostError("--param applies to built-in networks only.")
        doc = load_document(target, format="json")
        spec, shape = doc.network, input_shape or doc.input
        if shape is None:
            raise SpecFileError("inline spec: no input shape. Give --input C=C_in H=H W=W.")
        return spec, shape
    path = Path(target)
    if path.suffix.lower() in (".json", ".yaml", ".yml") or path.exists():
        if params:
            raise SymcostError("--param applies to built-in networks only; edit the file "
                               "instead.")
        doc = load_document(path)
        spec, shape = doc.network, input_shape or doc.input
        if shape is None:
            raise SpecFileError(f"{path}: the document has no 'input' shape. Add "
                                '"input": {"C": 3, "H": "H", "W": "W"} next to "network".')
        if _off_lattice(shape, values):
            # the closed form assumes the declared multiples; these values need the floors
            spec, plain = without_multiples(spec, shape)
            shape = plain or shape
        return spec, shape
    entry = zoo.get(target)
    spec = _build(entry, params)
    if input_shape is not None:
        return spec, input_shape
    shape = entry.input(multiple=True)
    if _off_lattice(shape, values):
        # a value that is not a multiple of the total stride needs the exact floors
        shape = entry.input(multiple=False)
    return spec, shape


def _off_lattice(shape: Shape, values: Mapping[str, int | Fraction | range]) -> bool:
    """Whether some value is not a multiple its symbol is declared to be."""
    multiples = {s.name: getattr(s, "multiple", 1) for axis in shape.axes().values()
                 for s in axis.free_symbols}
    return any(v % multiples.get(k, 1) for k, vs in values.items()
               for v in (vs if isinstance(vs, range) else [vs]))


_TRUE, _FALSE = ("true", "1"), ("false", "0")


def _typed_params(entry: zoo.ZooEntry, params: Mapping[str, str]) -> dict[str, object]:
    """--param values converted by the builder's annotations, strictly: a flag takes
    true/false/1/0 (so 'False' and 'no' never turn it on), an int takes decimal digits."""
    import inspect

    try:
        signature = inspect.signature(entry.build)
    except (TypeError, ValueError):  # pragma: no cover - builders are plain functions
        signature = None
    out: dict[str, object] = {}
    for name, text in params.items():
        parameter = signature.parameters.get(name) if signature else None
        if signature is not None and parameter is None and not any(
                p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
            known = [p for p in signature.parameters if not p.startswith("_")]
            raise SymcostError(f"--param: {entry.name} has no parameter {name!r}. Its "
                               f"parameters: {', '.join(known) or 'none'}.")
        annotation = str(getattr(parameter, "annotation", "")).replace("<class '", "")
        kind = annotation.strip("'>").split(" ")[0].split("|")[0]
        if kind == "bool":
            if text.lower() not in _TRUE + _FALSE:
                raise SymcostError(f"--param: {name} is a flag; give true or false (given "
                                   f"{text!r}).")
            out[name] = text.lower() in _TRUE
        elif kind == "int":
            if not _is_decimal(text.lstrip("-")) or len(text) > 30:
                raise SymcostError(f"--param: {name} must be an integer (given {text!r}).")
            out[name] = int(text)
        elif kind == "float":
            try:
                out[name] = float(text)
            except ValueError:
                raise SymcostError(f"--param: {name} must be a number (given {text!r})."
                                   ) from None
        elif text.lower() in _TRUE[:1] + _FALSE[:1] + ("yes", "no", "on", "off"):
            raise SymcostError(f"--param: {name} is not a flag (given {text!r}).")
        else:
            out[name] = int(text) if _is_decimal(text) and len(text) <= 30 else text
    return out


def _build(entry: zoo.ZooEntry, params: Mapping[str, str]):
    """A built-in network from its builder and the --param arguments."""
    typed = _typed_params(entry, params)
    try:
        return entry.build(**typed)
    except SymcostError:
        raise
    except (TypeError, ValueError, ArithmeticError) as exc:  # e.g. round_nearest=0
        shown = ", ".join(f"{k}={v}" for k, v in params.items())
        raise SymcostError(f"--param: {entry.name} cannot be built with {shown} "
                           f"({type(exc).__name__}: {exc}). Check the values.") from None


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
    from .cli_roofline import add_commands

    add_commands(sub, _command)
    rep = _command(sub, "report", "per-layer cost report of a network",
                   "symcost report mobilenet_v1 --at H=224              # W follows H\n"
                   "symcost report resnet50 --depth 2 --format markdown  # closed forms\n"
                   "symcost report mobilenet_v1 --at H=224 --format latex --numbers si "
                   "--caption 'MobileNetV1' --label tab:mnv1")
    rep.add_argument("network", help="a built-in name (see 'symcost list'), a JSON/YAML "
                     "network document, or - to read one from standard input")
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


def _params(items: list[str]) -> dict[str, str]:
    return _assignments(items, "--param")  # typed by _build, from the builder's signature


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


def _square(values: dict[str, Any], free: set[str]) -> dict[str, Any]:
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


def _evaluate(result, values: dict[str, Any]):
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
    if values:
        _known_names(values, _symbols_of(result))
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


def _symbols_of(result) -> set:
    """Every symbol a network cost depends on: its rows, its constraints, its shapes."""
    out = set(result.total.free_symbols)
    for row in result.rows:
        out |= row.cost.free_symbols
        for axis in row.output.axes().values():
            out |= axis.free_symbols
    for axis in result.input.axes().values():
        out |= axis.free_symbols
    return out


#: The most points ``symcost plot`` draws.
MAX_PLOT_POINTS = 10_000


def _range(text: str) -> range:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(_is_decimal(p.strip()) and len(p.strip()) <= 30
                                           for p in parts):
        raise SymcostError(f"--range: expected START:STOP or START:STOP:STEP with positive "
                           f"integers (given {text!r}), e.g. --range 64:512:32.")
    start, stop, *rest = (int(p) for p in parts)
    step = rest[0] if rest else max(1, (stop - start) // 32)
    if start < 1 or stop < start or step < 1:
        raise SymcostError(f"--range: need 1 <= START <= STOP and STEP >= 1 (given {text!r}).")
    values = range(start, stop + 1, step)
    if len(values) > MAX_PLOT_POINTS:
        raise SymcostError(f"--range: {len(values):,} points (given {text!r}); the limit is "
                           f"{MAX_PLOT_POINTS:,}. Use a larger STEP.")
    return values


def _plot(args) -> str:
    from .plots import plot_vs

    xs = _range(args.range)
    values = _int_values(args.at)
    spec, shape = _resolve(args.network, _params(args.param), {**values, args.vs: xs})
    result = spec.analyze(shape, get_convention(args.convention))
    _known_names(values, _symbols_of(result))
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
    out = Path(args.out or f"{Path(args.network).stem}_{args.metric}.png")
    if not out.suffix:
        out = out.with_suffix(".png")  # what matplotlib would write; say so
    supported = ax.figure.canvas.get_supported_filetypes()
    if out.suffix[1:].lower() not in supported:
        raise SymcostError(f"--out: cannot write a {out.suffix} file ({out}). Use one of: "
                           + ", ".join("." + k for k in sorted(supported)) + ".")
    ax.figure.tight_layout()
    try:
        ax.figure.savefig(out, dpi=120)
    except OSError as exc:
        raise SymcostError(f"--out: cannot write {out} ({exc.strerror or exc}).") from None
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
        _known_names(values, costs[0].free_symbols | costs[1].free_symbols)
        for cost in costs:  # the values must keep both formulas' conditions
            cost.subs(values)
        try:
            at = bind_values(value.free_symbols, values)
        except UnboundDimensionError as exc:
            raise _missing(exc.missing, values) from None
        exact = value.xreplace(at)
        out += f"at {', '.join(f'{k}={v}' for k, v in values.items())}: {exact}"
        out += f" = {float(exact):.4g}\n" if exact.is_Rational and not exact.is_Integer \
            else "\n"
    return out


def _dump(args) -> str:
    if Path(args.network).suffix.lower() in (".json", ".yaml", ".yml"):
        raise SymcostError(f"dump writes a built-in network as a document; {args.network!r} "
                           "is already a document (see symcost list for the names).")
    entry = zoo.get(args.network)
    spec = _build(entry, _params(args.param))
    text = dump(spec, args.out, format=args.format,
                input=entry.input(multiple=not args.exact_floors))
    return f"wrote {args.out}\n" if args.out else text


def _schema() -> str:
    import json

    return json.dumps(document_schema(), indent=2) + "\n"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


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
        print(f"symcost: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # no traceback reaches a user: one line, exit 2
        print(f"symcost: error: internal error ({type(exc).__name__}: {_one_line(exc)}); "
              "please report it as a symcost bug with the command line.", file=sys.stderr)
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
        width = max(len(n) for n in convention_names())
        return "".join(f"{n:{width}} {get_convention(n).summary}\n"
                       for n in convention_names())
    from .cli_roofline import COMMANDS

    if args.command in COMMANDS:
        return COMMANDS[args.command](args)
    return {"plot": _plot, "ratio": _ratio, "dump": _dump, "schema": lambda _: _schema(),
            "report": _report}[args.command](args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
