"""Dimensions: the one place symbols are made, and the safe parser for size expressions.

``dim("C_in")`` is ``Symbol("C_in", positive=True, integer=True)``; ``dim("H", multiple_of=32)``
is a symbol of the same name that also carries "H is a multiple of 32", which lets output-size
floors collapse (see :mod:`symcost.shapes`). Strings such as ``"C_in // 2 + 1"`` are parsed by a
whitelisted grammar on Python's ``ast`` tree; nothing is ever evaluated.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import keyword
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any

import sympy
from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from .errors import DimensionError

__all__ = ["dim", "dims", "parse", "as_expr", "Dim", "NonNegDim", "DimPair", "NonNegDimPair",
           "Padding", "PADDING_MODES", "SizeField", "dim_to_json", "multiple_of", "declared",
           "is_dim"]

#: Longest string accepted as an expression, in characters.
MAX_EXPR_LENGTH = 500
#: Deepest nesting of the expression tree.
MAX_DEPTH = 40
#: Largest absolute exponent of ``**``.
MAX_EXPONENT = 64
#: Longest integer literal, in digits.
MAX_INT_DIGITS = 40

_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_FUNCTIONS = {
    "floor": sympy.floor, "ceil": sympy.ceiling, "ceiling": sympy.ceiling,
    "min": sympy.Min, "Min": sympy.Min, "max": sympy.Max, "Max": sympy.Max,
}
# sympy's constants and special values, and the spellings of infinity and not-a-number a user
# may try: read as sizes they would be free symbols that mean something else ('S', sympy's
# singleton registry, is an ordinary name here: cross-attention's key length)
_RESERVED = set(_FUNCTIONS) | {"True", "False", "None", "oo", "nan", "zoo", "I", "E", "pi",
                               "inf", "Inf", "INF", "infinity", "Infinity", "NaN", "NAN"}
#: The padding modes a ``padding`` field accepts, spelled exactly so.
PADDING_MODES = ("same", "valid")
# words that name a padding mode in some framework; never a size, whatever the case
_MODE_WORDS = {"same", "valid", "full", "causal", "zeros", "reflect", "replicate", "circular"}


class _MultipleDim(sympy.Symbol):
    """A positive-integer symbol known to be a multiple of ``multiple``."""

    multiple: int

    def __new__(cls, name: str, multiple: int):
        obj = sympy.Symbol.__xnew__(cls, name, positive=True, integer=True)
        obj.multiple = multiple
        return obj

    def __getnewargs_ex__(self):
        return ((self.name, self.multiple), {})

    def _hashable_content(self):
        return sympy.Symbol._hashable_content(self) + (self.multiple,)

    def _sympystr(self, printer):  # print as the bare name, like any symbol
        return self.name


def _check_name(name: object, where: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name) or name in _RESERVED \
            or keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise DimensionError(
            f"{where}: {name!r} is not a usable dimension name. Use letters, digits and "
            "underscores, starting with a letter, e.g. 'C_in' or 'H'; names of functions "
            "(floor, ceil, min, max), sympy constants and special values (E, I, pi, oo, inf, "
            "nan) and Python keywords (lambda, if, class) are reserved.")
    return name


def dim(name: str, multiple_of: int | None = None) -> sympy.Symbol:
    """Make the positive-integer symbol for a size.

    >>> dim("C_in")
    C_in
    >>> dim("C_in").is_positive, dim("C_in").is_integer
    (True, True)
    >>> multiple_of(dim("H", multiple_of=32))
    32

    ``multiple_of=m`` declares the size a multiple of ``m``; floors and ceilings that
    divisibility decides then vanish from output sizes, and :meth:`Cost.evaluate` rejects
    values that are not multiples of ``m``.
    """
    _check_name(name, "dim")
    if multiple_of is None or multiple_of == 1:
        if multiple_of is not None and (isinstance(multiple_of, bool)
                                        or not isinstance(multiple_of, int)):
            raise DimensionError(f"dim {name!r}: multiple_of must be a positive int "
                                 f"(given {multiple_of!r}).")
        return sympy.Symbol(name, positive=True, integer=True)
    if isinstance(multiple_of, bool) or not isinstance(multiple_of, int) or multiple_of < 1:
        raise DimensionError(f"dim {name!r}: multiple_of must be a positive int "
                             f"(given {multiple_of!r}). Use e.g. multiple_of=32.")
    return _MultipleDim(name, multiple_of)


def dims(names: str | Iterable[str]) -> tuple[sympy.Symbol, ...]:
    """Make several symbols at once: ``C_in, C_out, K = dims("C_in C_out K")``.

    >>> dims("C_in C_out")
    (C_in, C_out)
    """
    if isinstance(names, str):
        names = names.replace(",", " ").split()
    return tuple(dim(n) for n in names)


def multiple_of(symbol: sympy.Basic) -> int:
    """The declared multiple of a symbol made by :func:`dim` (1 when none was declared)."""
    return getattr(symbol, "multiple", 1)


def is_dim(symbol: sympy.Basic) -> bool:
    """True for a symbol :func:`dim` makes (with or without ``multiple_of``)."""
    if isinstance(symbol, _MultipleDim):
        return True
    return isinstance(symbol, sympy.Symbol) and symbol == dim(symbol.name)


#: Symbols a document declares, by name: :func:`parse` reads those names as these symbols.
_DECLARED: ContextVar[Mapping[str, sympy.Symbol] | None] = ContextVar("symcost_declared",
                                                                      default=None)


@contextlib.contextmanager
def declared(symbols: Mapping[str, sympy.Symbol]) -> Iterator[None]:
    """Within the block, :func:`parse` reads each name of ``symbols`` as that symbol
    (e.g. ``{"H": dim("H", multiple_of=32)}``), so a document's declarations survive."""
    token = _DECLARED.set(dict(symbols))
    try:
        yield
    finally:
        _DECLARED.reset(token)


# --------------------------------------------------------------------------- parsing


def parse(text: str, *, where: str = "expression") -> sympy.Expr:
    """Parse a size expression without evaluating any code.

    The grammar: names, non-negative integer literals, ``+ - * / // ** ( )`` and the
    functions ``floor ceil min max``. ``/`` is exact division, ``a // b`` is ``floor(a/b)``.
    Names become :func:`dim` symbols. Length, nesting depth, literal size and exponents are
    bounded so that no input can hang the process.

    >>> parse("C_in // 2 + 1")
    floor(C_in/2) + 1
    >>> parse("__import__('os')")
    Traceback (most recent call last):
    ...
    symcost.errors.DimensionError: expression: the function '__import__' is not allowed ...
    """
    if not isinstance(text, str):
        raise DimensionError(f"{where}: expected a string, got {type(text).__name__}.")
    shown = text if len(text) <= 60 else text[:57] + "..."
    if len(text) > MAX_EXPR_LENGTH:
        raise DimensionError(f"{where}: expression is {len(text)} characters long "
                             f"(given {shown!r}); the limit is {MAX_EXPR_LENGTH}. "
                             "Simplify it or build it with sympy.")
    if not text.isascii() or not text.isprintable():
        raise DimensionError(f"{where}: only printable ASCII is allowed in a size expression "
                             f"(given {shown!r}). Retype it without look-alike characters.")
    if not text.strip():
        raise DimensionError(f"{where}: empty expression. Give a size such as 'C_in' or '64'.")
    tree, reason = _syntax_tree(text.strip())
    if tree is None:
        raise DimensionError(f"{where}: cannot parse {shown!r} ({reason}). Use names, "
                             "integers, + - * / // ** ( ) and floor/ceil/min/max.") from None
    expr = _Converter(text, where).convert(tree.body, 0)
    # (H**64)**64 and H**64*H**64*... combine: bound the exponents of the result too
    for power in expr.atoms(sympy.Pow):
        if power.exp.is_Integer and abs(power.exp) > MAX_EXPONENT:
            raise DimensionError(f"{where}: the power {power.base}**{power.exp} exceeds the "
                                 f"exponent limit of {MAX_EXPONENT} (given {shown!r}).")
    return expr


@functools.lru_cache(maxsize=4096)
def _syntax_tree(text: str) -> tuple[ast.Expression | None, str | None]:
    """Python's parse of ``text`` (or why it failed), remembered: compiling a long chain
    such as 'C+C+...+C' takes milliseconds, and a document may repeat it thousands of
    times. The tree is only read, never changed."""
    try:
        with warnings.catch_warnings():  # '1abc' is a SyntaxWarning before the error we raise
            warnings.simplefilter("ignore", SyntaxWarning)
            return ast.parse(text, mode="eval"), None
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return None, getattr(exc, "msg", None) or type(exc).__name__


class _Converter:
    def __init__(self, text: str, where: str) -> None:
        self.source = text.strip()
        self.text = text if len(text) <= 60 else text[:57] + "..."
        self.where = where

    def fail(self, what: str) -> DimensionError:
        return DimensionError(f"{self.where}: {what} is not allowed in a size expression "
                              f"(given {self.text!r}). Use names, integers, + - * / // ** ( ) "
                              "and floor/ceil/min/max.")

    def convert(self, node: ast.AST, depth: int) -> sympy.Expr:
        if depth > MAX_DEPTH:
            raise DimensionError(f"{self.where}: expression nests deeper than {MAX_DEPTH} "
                                 f"levels (given {self.text!r}). Simplify it.")
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail(f"the literal {value!r}")
            # the source is one line (printable text): slice it, as get_source_segment
            # would after splitting the whole text into lines for every literal
            spelled = self.source[node.col_offset:node.end_col_offset or node.col_offset]
            if not spelled.isdigit():  # 0x1F, 0o17, 0b11, 1_000: decimal digits only
                raise self.fail(f"the literal {spelled!r} (write integers in decimal)")
            if len(str(value)) > MAX_INT_DIGITS:
                raise DimensionError(f"{self.where}: integer literal longer than "
                                     f"{MAX_INT_DIGITS} digits (given {self.text!r}).")
            return sympy.Integer(value)
        if isinstance(node, ast.Name):
            if node.id.startswith("_") or node.id in _RESERVED:
                raise self.fail(repr(node.id))
            name = _check_name(node.id, self.where)
            table = _DECLARED.get()
            return table[name] if table and name in table else dim(name)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.convert(node.operand, depth + 1)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp):
            return self.binop(node, depth)
        if isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name):
                raise self.fail("calling an attribute or expression")
            if func.id not in _FUNCTIONS or node.keywords:
                raise self.fail(f"the function {func.id!r}" if func.id not in _FUNCTIONS
                                else "a keyword argument")
            args = [self.convert(a, depth + 1) for a in node.args]
            if func.id in ("floor", "ceil", "ceiling") and len(args) != 1:
                raise self.fail(f"{func.id} with {len(args)} arguments")
            if func.id.lower() in ("min", "max") and len(args) < 1:
                raise self.fail(f"{func.id} with no argument")
            return _FUNCTIONS[func.id](*args)
        label = {ast.Attribute: "attribute access", ast.Lambda: "lambda",
                 ast.Subscript: "subscript"}.get(type(node), type(node).__name__)
        raise self.fail(label)

    def binop(self, node: ast.BinOp, depth: int) -> sympy.Expr:
        op = node.op
        left = self.convert(node.left, depth + 1)
        if isinstance(op, ast.Pow):
            exponent = _literal_int(node.right)
            if exponent is None:
                raise DimensionError(f"{self.where}: the exponent of ** must be an integer "
                                     f"literal (given {self.text!r}).")
            if abs(exponent) > MAX_EXPONENT:
                raise DimensionError(f"{self.where}: exponent {exponent} is too large "
                                     f"(given {self.text!r}); the limit is {MAX_EXPONENT}.")
            if left.is_Number and abs(left) > 1 and abs(exponent) * len(str(left)) > 400:
                raise DimensionError(f"{self.where}: {left}**{exponent} is too large "
                                     f"(given {self.text!r}).")
            return left**exponent
        right = self.convert(node.right, depth + 1)
        if isinstance(op, ast.Add):
            return left + right
        if isinstance(op, ast.Sub):
            return left - right
        if isinstance(op, ast.Mult):
            return left * right
        if isinstance(op, (ast.Div, ast.FloorDiv)):
            if right == 0:
                raise DimensionError(f"{self.where}: division by zero (given {self.text!r}).")
            q = left / right
            return sympy.floor(q) if isinstance(op, ast.FloorDiv) else q
        raise self.fail(f"the operator {type(op).__name__}")


def _literal_int(node: ast.AST) -> int | None:
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return sign * node.value
    return None


# --------------------------------------------------------------------------- coercion

_ALLOWED_FUNCS = (sympy.floor, sympy.ceiling, sympy.Min, sympy.Max)


def as_expr(value: Any, *, where: str = "size", allow_zero: bool = False) -> sympy.Expr:
    """Turn an int, a string or a sympy expression into a validated size expression.

    Raises :class:`DimensionError` when the value is definitely not a positive integer
    (non-negative with ``allow_zero``); symbolic values whose sign is undecided are accepted.
    """
    if isinstance(value, bool):
        raise DimensionError(f"{where}: a bool is not a size (given {value!r}). "
                             "Give a positive int, a sympy expression or a string.")
    if isinstance(value, int):
        expr: sympy.Expr = sympy.Integer(value)
    elif isinstance(value, str):
        expr = parse(value, where=where)
    elif isinstance(value, sympy.Basic):
        expr = _adopt(value, where)
    else:
        raise DimensionError(f"{where}: {type(value).__name__} is not a size (given "
                             f"{value!r}). Give a positive int, a sympy expression or a "
                             "string such as 'C_in // 2'.")
    if expr.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        raise DimensionError(f"{where}: {value!r} is not a finite number (it divides by zero "
                             "or is infinite). Give a positive whole size.")
    lower = 0 if allow_zero else 1
    if expr.is_Number:
        if not expr.is_Integer:
            raise DimensionError(f"{where}: a size must be a whole number (given {expr}). "
                                 "Round it, or use floor()/ceil().")
        if expr < lower:
            need = "non-negative" if allow_zero else "positive (at least 1)"
            raise DimensionError(f"{where}: must be {need} (given {expr}).")
    elif not increasing(expr) and (expr < lower) is sympy.true:  # sizes of sizes: >= 1
        raise DimensionError(f"{where}: {expr} is below {lower} for every value of its symbols.")
    return expr


def increasing(expr: sympy.Basic) -> bool:
    """True when ``expr`` never decreases as any of its symbols grows, and every symbol is
    a positive integer: sums and products of such symbols and positive numbers, their
    powers, floors, ceilings, minima and maxima. Its least value is then at all symbols 1."""
    if expr.is_Symbol:
        return bool(expr.is_integer and expr.is_positive)
    if expr.is_Number:
        return bool(expr.is_positive)
    if expr.is_Pow:
        return bool(expr.exp.is_Integer and expr.exp > 0 and increasing(expr.base))
    if isinstance(expr, (sympy.Add, sympy.Mul, sympy.floor, sympy.ceiling, sympy.Min,
                         sympy.Max)):
        return all(increasing(a) for a in expr.args)
    return False


def _adopt(value: sympy.Basic, where: str) -> sympy.Expr:
    """Check a user's sympy expression and give its bare symbols dim()'s assumptions."""
    if not isinstance(value, sympy.Expr):
        raise DimensionError(f"{where}: {value!r} is not an arithmetic expression.")
    for node in sympy.preorder_traversal(value):
        if isinstance(node, (sympy.Symbol, sympy.Number, sympy.Add, sympy.Mul)):
            if isinstance(node, sympy.Number) and not node.is_Rational:
                raise DimensionError(f"{where}: {node} is not exact (given {value}). Use "
                                     "integers or sympy.Rational, never floats.")
            continue
        if isinstance(node, sympy.Pow):
            if not node.exp.is_Integer:
                raise DimensionError(f"{where}: only integer powers are allowed (given {value}).")
            continue
        if isinstance(node, _ALLOWED_FUNCS):
            continue
        raise DimensionError(f"{where}: {type(node).__name__} is not allowed in a size "
                             f"(given {value}). Use + - * / ** and floor/ceiling/Min/Max.")
    # a symbol made without any assumption (sympy.Symbol("C")) is taken to be dim("C");
    # one with assumptions of its own (a positive, rational width multiplier) is kept
    plain = {s: dim(s.name) for s in value.free_symbols
             if type(s) is sympy.Symbol and not s._assumptions_orig}
    return value.xreplace(plain) if plain else value


def dim_to_json(value: sympy.Expr) -> int | str:
    """Integers serialise as JSON integers, expressions as strings the parser reads back."""
    if isinstance(value, sympy.Integer):
        return int(value)
    return sympy.sstr(value, order="lex")


def _validate_positive(value: Any) -> sympy.Expr:
    return as_expr(value, where="size")


def _validate_nonneg(value: Any) -> sympy.Expr:
    return as_expr(value, where="size", allow_zero=True)


@dataclass(frozen=True)
class SizeField:
    """Marks a field type as holding sizes: each must be a whole number of at least
    ``lower``. :func:`symcost.checks.size_conditions` turns what the symbols leave
    undecided into deferred conditions."""

    lower: int


_DIM_SCHEMA = {"anyOf": [{"type": "integer", "minimum": 1},
                         {"type": "string", "maxLength": MAX_EXPR_LENGTH}]}
_NONNEG_SCHEMA = {"anyOf": [{"type": "integer", "minimum": 0},
                            {"type": "string", "maxLength": MAX_EXPR_LENGTH}]}

#: A positive size field: int > 0, a sympy expression or a string expression.
Dim = Annotated[
    sympy.Expr,
    PlainValidator(_validate_positive),
    PlainSerializer(dim_to_json, when_used="always"),
    WithJsonSchema(_DIM_SCHEMA),
    SizeField(1),
]
#: A non-negative size field (padding).
NonNegDim = Annotated[
    sympy.Expr,
    PlainValidator(_validate_nonneg),
    PlainSerializer(dim_to_json, when_used="always"),
    WithJsonSchema(_NONNEG_SCHEMA),
    SizeField(0),
]


#: Most spatial axes a per-axis size lists (Conv3d's (kt, kh, kw)).
MAX_SPATIAL_AXES = 3


def _no_mode_word(value: Any, *, modes_allowed: bool) -> None:
    """A string naming a padding mode is never a size: refuse it rather than read a
    misspelt mode ('SAME', ' same', 'full') as a new symbol."""
    if isinstance(value, str) and value.strip().lower() in _MODE_WORDS:
        if modes_allowed:
            raise DimensionError(
                f"size: unknown padding mode {value!r}. The modes are exactly "
                + " or ".join(repr(m) for m in PADDING_MODES)
                + " (lower case, no spaces); otherwise give a size or one per spatial axis.")
        raise DimensionError(
            f"size: {value!r} is a padding mode, not a size; this field takes a size or one "
            "per spatial axis (as torch, which accepts 'same' and 'valid' only on regular "
            "convolutions).")


def _validate_pair(value: Any, allow_zero: bool,
                   modes_allowed: bool = False) -> sympy.Expr | tuple[sympy.Expr, ...]:
    if isinstance(value, (tuple, list)):
        if not 1 <= len(value) <= MAX_SPATIAL_AXES:
            raise DimensionError("size: expected one size or one per spatial axis, such as "
                                 f"(h, w) (given {value!r}).")
        for item in value:
            _no_mode_word(item, modes_allowed=modes_allowed)
        return tuple(as_expr(v, where="size", allow_zero=allow_zero) for v in value)
    _no_mode_word(value, modes_allowed=modes_allowed)
    return as_expr(value, where="size", allow_zero=allow_zero)


def _pair_to_json(value: Any) -> Any:
    if isinstance(value, tuple):
        return [dim_to_json(v) for v in value]
    if isinstance(value, str):  # "same" / "valid"
        return value
    return dim_to_json(value)


def _validate_padding(value: Any) -> Any:
    if isinstance(value, str) and value in PADDING_MODES:
        return value
    return _validate_pair(value, allow_zero=True, modes_allowed=True)


def _pair_schema(scalar: dict) -> dict:
    return {"anyOf": [scalar, {"type": "array", "items": scalar, "minItems": 1,
                               "maxItems": MAX_SPATIAL_AXES}]}


#: A positive size, or one per spatial axis (kernel, stride, dilation); a layer checks that
#: a tuple has as many entries as it has spatial axes.
DimPair = Annotated[
    sympy.Expr | tuple[sympy.Expr, ...],
    PlainValidator(lambda v: _validate_pair(v, allow_zero=False)),
    PlainSerializer(_pair_to_json, when_used="always"),
    WithJsonSchema(_pair_schema(_DIM_SCHEMA)),
    SizeField(1),
]
#: A non-negative size or pair (a transposed convolution's padding).
NonNegDimPair = Annotated[
    sympy.Expr | tuple[sympy.Expr, ...],
    PlainValidator(lambda v: _validate_pair(v, allow_zero=True)),
    PlainSerializer(_pair_to_json, when_used="always"),
    WithJsonSchema(_pair_schema(_NONNEG_SCHEMA)),
    SizeField(0),
]
#: Padding: a non-negative size, a pair, "same" (output ceil(H/stride)) or "valid" (none).
Padding = Annotated[
    Any,
    PlainValidator(_validate_padding),
    PlainSerializer(_pair_to_json, when_used="always"),
    WithJsonSchema({"anyOf": [{"enum": ["same", "valid"]},
                              *_pair_schema(_NONNEG_SCHEMA)["anyOf"]]}),
    SizeField(0),
]
