"""The escape hatch: a layer whose formulas the user writes."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

import sympy
from pydantic import field_validator

from ..checks import size_conditions
from ..counts import OPS, OpCounts
from ..dims import Dim, NonNegDim, dim
from ..errors import SpecError
from .base import Census, Layer

__all__ = ["Custom", "AXES"]

#: The axis names a custom layer's formulas always read as the input's axes (a document
#: need not declare them); any other axis of the input is read by its name too.
AXES = ("N", "C", "H", "W")
_AXIS_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


class Custom(Layer):
    """A layer with user-given formulas.

    ``counts`` maps census entries (``mac``, ``add``, ``exp``, …) to expressions; ``params``
    and ``buffers`` count its state; ``output`` gives output axes (unchanged by default).
    Inside these formulas the name of any axis of the input (``N``, ``C``, ``H``, ``W``;
    ``L``, ``D`` of a sequence) means that axis's size. Without ``counts`` the layer is
    reported as uncosted — never as zero.

    >>> import symcost as sc
    >>> attn = sc.Custom(label="attention", counts={"mac": "2*N*H*W*H*W*C"})
    >>> attn.cost(sc.Shape(C=64, H=8, W=8), "macs").macs
    524288
    """

    kind: Literal["custom"] = "custom"
    family: ClassVar[str] = "custom"
    label: str = "custom"
    """What the layer is (shown in reports and in the uncosted list)."""
    counts: dict[str, NonNegDim] | None = None
    """Census entries as formulas of the input's axes (N, C, H, W, …) and any other dims."""
    params: NonNegDim = sympy.Integer(0)
    """Learnable parameters."""
    buffers: NonNegDim = sympy.Integer(0)
    """Non-learnable state."""
    output: dict[str, Dim | None] | None = None
    """Output sizes of some input axes, by name, as formulas of the input's axes; the other
    axes stay."""
    backward_counts: dict[str, NonNegDim] | None = None
    """Census entries of its backward pass (``training=True``); None: unknown, reported
    uncosted there."""

    @field_validator("counts", "backward_counts")
    @classmethod
    def _known_ops(cls, value):
        if value is not None:
            unknown = sorted(set(value) - set(OPS))
            if unknown:
                raise SpecError(f"unknown census entries {unknown}. Use: " + ", ".join(OPS)
                                + ".", field="counts", value=unknown)
        return value

    @field_validator("output")
    @classmethod
    def _known_axes(cls, value):
        if value is not None:
            bad = sorted(k for k in value if not _AXIS_NAME.match(k))
            if bad:
                raise SpecError(f"{bad} are not axis names (a letter, then letters, digits "
                                "or _), e.g. C or H.", field="output", value=bad)
        return value

    @field_validator("counts", "backward_counts", "params", "buffers", "output", mode="after")
    @classmethod
    def _axes_are_plain(cls, value):
        # N, C, H, W here name the input's axes, whatever a document declares for them
        # (H a multiple of 32): keep them the plain dims that _bind replaces
        if isinstance(value, dict):
            return {k: _plain_axes(v) for k, v in value.items()}
        return _plain_axes(value)

    def _bind(self, shape, where):
        axes = shape.axes()

        def bind(expr: sympy.Expr, field: str) -> sympy.Expr:
            mapping = {}
            for symbol in expr.free_symbols:
                if symbol.name in axes:
                    mapping[symbol] = axes[symbol.name]
                elif symbol.name in AXES:
                    raise SpecError(f"uses {symbol.name}, but the input {shape} has no "
                                    f"{symbol.name}.", layer=where, field=field, value=expr)
            return expr.xreplace(mapping)

        return bind

    def infer(self, shape, where):
        bind = self._bind(shape, where)
        changes = {k: (bind(v, "output") if v is not None else None)
                   for k, v in (self.output or {}).items()}
        missing = sorted(set(changes) - set(shape.names))
        if missing:
            raise SpecError(f"sets the output axes {missing}, which the input {shape} does not "
                            "have. Name only axes of the input.", layer=where, field="output",
                            value=missing)
        out = shape.replace(**changes)
        ops = OpCounts(**{k: bind(v, "counts") for k, v in (self.counts or {}).items()})
        params, buffers = bind(self.params, "params"), bind(self.buffers, "buffers")
        attrs: dict = {"label": self.label}
        if self.backward_counts is not None:
            attrs["backward_counts"] = OpCounts(**{k: bind(v, "backward_counts")
                                                   for k, v in self.backward_counts.items()})
        census = Census(kind=self.kind, ops=ops, inputs=shape.elements, outputs=out.elements,
                        params=params, buffers=buffers, attrs=attrs)
        # the formulas' conditions, stated on the input's own axes
        constraints = []
        for label, value, lower in (
                *((f"output.{k}", v, 1) for k, v in changes.items() if v is not None),
                *((f"counts.{k}", v, 0) for k, v in ops.nonzero().items()),
                ("params", params, 0), ("buffers", buffers, 0)):
            constraints += size_conditions(value, where=where, field=label, lower=lower)
        return out, census, constraints

    def size_constraints(self, where):
        return []  # stated in infer, once N, C, H, W are bound to the input's axes

    def node(self, shape, path=""):
        result = super().node(shape, path)
        if self.counts is None:
            result.uncosted = (f"custom layer {self.label!r} has no counts; give "
                               "counts={'mac': ...} to cost it")
        return result


def _plain_axes(expr):
    if not isinstance(expr, sympy.Basic):
        return expr
    mapping = {s: dim(s.name) for s in expr.free_symbols
               if isinstance(s, sympy.Symbol) and s.name in AXES and s != dim(s.name)}
    return expr.xreplace(mapping) if mapping else expr
