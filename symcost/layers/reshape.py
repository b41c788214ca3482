"""Layers that move or drop data without arithmetic: Flatten, Identity, Dropout,
StochasticDepth, ChannelShuffle, ChannelChunk, Permute, Reshape and Rearrange (an
einops-style pattern, parsed without eval). All are free: their family is ``move``."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

import sympy
from pydantic import Field, field_validator

from ..checks import divides, require
from ..counts import OpCounts
from ..dims import Dim
from ..errors import SpecError
from ..shapes import Shape
from .base import Census, Layer

__all__ = ["Flatten", "Identity", "Dropout", "StochasticDepth", "ChannelShuffle",
           "ChannelChunk", "Permute", "Reshape", "Rearrange"]


def _free(kind: str, n) -> Census:
    return Census(kind=kind, ops=OpCounts(), inputs=n, outputs=n)


class _Move(Layer):
    family: ClassVar[str] = "move"


class _Same(_Move):
    keeps_shape: ClassVar[bool] = True

    def infer(self, shape, where):
        return shape, _free(self.kind, shape.elements), []


class Flatten(_Move):
    """Flatten axes ``start_dim`` … ``end_dim`` into one, as ``torch.nn.Flatten`` (by default
    N×C×H×W into an N×(C·H·W) vector). The merged axis keeps the name of the first. Free.
    """

    kind: Literal["flatten"] = "flatten"
    start_dim: int = 1
    """First axis merged (torch's default: 1)."""
    end_dim: int = -1
    """Last axis merged (torch's default: −1, the last)."""

    def infer(self, shape, where):
        start = shape.position(self.start_dim, where=where, field="start_dim")
        end = shape.position(self.end_dim, where=where, field="end_dim")
        if start > end:
            raise SpecError(f"start_dim {self.start_dim} comes after end_dim {self.end_dim} in "
                            f"{shape}.", layer=where, field="start_dim", value=self.start_dim)
        names = shape.names[:start + 1] + shape.names[end + 1:]
        sizes = (*shape.sizes[:start], sympy.Mul(*shape.sizes[start:end + 1]),
                 *shape.sizes[end + 1:])
        return Shape._make(names, sizes), _free(self.kind, shape.elements), []


class Identity(_Same):
    """Passes its input through. Free."""

    kind: Literal["identity"] = "identity"


class Dropout(_Same):
    """Dropout: the identity at inference, hence free."""

    kind: Literal["dropout"] = "dropout"
    p: float = Field(0.5, ge=0.0, le=1.0)
    """Drop probability (does not change the count)."""


class ChannelShuffle(_Same):
    """ShuffleNet's channel shuffle: a permutation of channels in ``groups`` groups. Free."""

    kind: Literal["channel_shuffle"] = "channel_shuffle"
    groups: Dim
    """Groups; must divide the channels."""

    def infer(self, shape, where):
        constraints = require(divides(self.groups, shape.channels), where=where,
                              field="groups", value=f"groups={self.groups}, C={shape.channels}",
                              message="groups must divide the input channels")
        return shape, _free(self.kind, shape.elements), constraints


class StochasticDepth(_Same):
    """Stochastic depth (torchvision's ``StochasticDepth``): during training it drops a
    residual branch per sample ("row") or per batch; at inference it is the identity,
    hence free."""

    kind: Literal["stochastic_depth"] = "stochastic_depth"
    p: float = Field(0.0, ge=0.0, le=1.0)
    """Drop probability during training (does not change the count)."""
    mode: Literal["row", "batch"] = "row"
    """Whether training drops per sample ("row") or for the whole batch."""


class ChannelChunk(_Move):
    """One of ``chunks`` equal parts of the channels, as ``x.chunk(chunks, dim=1)[index]``
    (ShuffleNetV2 splits its input in two halves). Free: a view.

    symcost counts equal parts only: ``chunks`` must divide C (torch's last chunk would be
    smaller otherwise).
    """

    kind: Literal["channel_chunk"] = "channel_chunk"
    chunks: Dim
    """Number of equal parts."""
    index: int = Field(ge=0)
    """Which part, from 0."""

    def infer(self, shape, where):
        constraints = require(divides(self.chunks, shape.channels), where=where,
                              field="chunks", value=f"chunks={self.chunks}, C={shape.channels}",
                              message="chunks must divide the input channels")
        constraints += require(
            sympy.Lt(self.index, self.chunks), where=where, field="index",
            value=f"index={self.index}, chunks={self.chunks}",
            message=f"index {self.index} does not exist among {self.chunks} chunks. Use an "
                    f"index from 0 to {self.chunks - 1}", error=SpecError)
        out = shape.with_size(1, shape.channels / self.chunks)
        return out, _free(self.kind, out.elements), constraints


class Permute(_Move):
    """Reorder the axes, as ``x.permute(*dims)`` (torchvision's ``Permute``). Free.

    Each axis keeps its name as it moves, and the layers after it act by position, as in
    torch: after ``dims=(0, 2, 3, 1)`` (channels-last) the channels are the last axis, which
    is where :class:`~symcost.Linear` and :class:`~symcost.LayerNorm` act.

    >>> import symcost as sc
    >>> sc.Permute(dims=(0, 2, 3, 1)).output_shape(sc.Shape(C=96, H=56, W=56))
    Shape(N=1, H=56, W=56, C=96)
    """

    kind: Literal["permute"] = "permute"
    dims: tuple[int, ...]
    """The new order of the axes: a permutation of 0 … rank − 1."""

    @field_validator("dims")
    @classmethod
    def _is_permutation(cls, dims):
        if len(dims) < 2 or sorted(dims) != list(range(len(dims))):
            raise ValueError("dims must be a permutation of 0 … rank − 1, such as (0, 2, 3, 1) "
                             "for a feature map or (0, 2, 1) for a sequence")
        return dims

    def infer(self, shape, where):
        if shape.rank != len(self.dims):
            raise SpecError(f"dims {self.dims} does not fit the {shape.rank} axes of {shape}. "
                            f"Give a permutation of 0…{shape.rank - 1}.", layer=where,
                            field="dims", value=self.dims)
        out = Shape._make(tuple(shape.names[i] for i in self.dims),
                          tuple(shape.sizes[i] for i in self.dims))
        return out, _free(self.kind, shape.elements), []


_TOKEN = re.compile(r"\s*(\.\.\.|->|\(|\)|[A-Za-z][A-Za-z0-9_]*|1(?![0-9])|\S)")
#: Longest pattern a Rearrange accepts.
MAX_PATTERN_LENGTH = 500

Group = tuple[str, ...]


def _parse_side(text: str, where: str) -> list[Group | str]:
    """One side of a pattern: a list of names, ``"..."``, ``"1"`` or groups of names."""
    out: list[Group | str] = []
    group: list[str] | None = None
    seen: set[str] = set()
    for token in _TOKEN.findall(text):
        if token == "(":
            if group is not None:
                raise SpecError(f"nested parentheses in {text!r}: group names only one level "
                                "deep, such as (h d).", layer=where, field="pattern")
            group = []
        elif token == ")":
            if group is None:
                raise SpecError(f"a ')' without its '(' in {text!r}.", layer=where,
                                field="pattern")
            out.append(tuple(group))
            group = None
        elif token == "..." or token == "1" or token[0].isalpha():
            if token[0].isalpha():
                if token in seen:
                    raise SpecError(f"axis {token} appears twice in {text!r}. Name each axis "
                                    "once per side.", layer=where, field="pattern")
                seen.add(token)
            if token == "..." and (group is not None or "..." in out):
                raise SpecError(f"'...' may stand once per side, outside parentheses "
                                f"({text!r}).", layer=where, field="pattern")
            if group is not None:
                if token != "1":
                    group.append(token)
            else:
                out.append(token)
        else:
            raise SpecError(f"unexpected {token!r} in {text!r}. A pattern uses names, "
                            "parentheses, 1 and '...', such as 'b t (h d) -> b h t d'.",
                            layer=where, field="pattern")
    if group is not None:
        raise SpecError(f"a '(' is not closed in {text!r}.", layer=where, field="pattern")
    return out


def _names(side: list[Group | str]) -> set[str]:
    out: set[str] = set()
    for item in side:
        out.update(item if isinstance(item, tuple) else
                   ([] if item in ("1", "...") else [item]))
    return out


class Rearrange(_Move):
    """Reorder, split and merge axes with an einops-style pattern, as
    ``einops.rearrange`` (parsed here, never evaluated). Free: data only moves.

    ``"b t (h d) -> b h t d"`` splits the last axis into heads; ``sizes`` gives the split
    sizes that the input does not fix (``{"h": 12}``; one unknown per group is derived, with
    the condition that it divides). ``1`` inserts or removes an axis of size 1, ``...``
    stands for the axes the pattern does not name. Output axes take the pattern's names (a
    merged group joins them: ``(h w)`` → ``hw``).

    >>> import symcost as sc
    >>> B, T = sc.dims("B T")
    >>> heads = sc.Rearrange(pattern="N L (h d) -> N h L d", sizes={"h": 12})
    >>> heads.output_shape(sc.Shape(N=B, L=T, D=768))
    Shape(N=B, h=12, L=T, d=64)
    """

    kind: Literal["rearrange"] = "rearrange"
    pattern: str = Field(max_length=MAX_PATTERN_LENGTH)
    """``"input axes -> output axes"``, e.g. ``"b t (h d) -> b h t d"``."""
    sizes: dict[str, Dim] = {}
    """Sizes of axes that the input alone does not determine, by name."""

    @field_validator("pattern")
    @classmethod
    def _valid(cls, pattern):
        if pattern.count("->") != 1:
            raise ValueError("a pattern has one '->' between the input and output axes, such "
                             "as 'b t (h d) -> b h t d'")
        left, right = (_parse_side(t, "rearrange") for t in pattern.split("->"))
        if _names(left) != _names(right):
            raise ValueError(f"the two sides name different axes ({sorted(_names(left))} vs "
                             f"{sorted(_names(right))}); every axis must appear on both")
        if ("..." in left) != ("..." in right):
            raise ValueError("'...' must appear on both sides or neither")
        return pattern

    def infer(self, shape, where):
        left, right = (_parse_side(t, where) for t in self.pattern.split("->"))
        unknown = sorted(set(self.sizes) - _names(left))
        if unknown:
            raise SpecError(f"sizes names {unknown}, which the pattern does not use.",
                            layer=where, field="sizes", value=unknown)
        fixed = len(left) - ("..." in left)
        if shape.rank < fixed or ("..." not in left and shape.rank != fixed):
            raise SpecError(f"the pattern's input side has {fixed} axes but the input {shape} "
                            f"has {shape.rank}.", layer=where, field="pattern",
                            value=self.pattern)
        known: dict[str, sympy.Expr] = dict(self.sizes)
        rest: tuple[tuple[str, sympy.Expr], ...] = ()
        constraints = []
        position = 0
        for item in left:
            if item == "...":
                count = shape.rank - fixed
                rest = tuple(zip(shape.names[position:position + count],
                                 shape.sizes[position:position + count]))
                position += count
                continue
            size = shape[position]
            position += 1
            if item == "1":
                constraints += require(sympy.Eq(size, 1), where=where, field="pattern",
                                       value=f"axis {position - 1} = {size}",
                                       message="a 1 in the input pattern needs an axis of "
                                       "size 1")
                continue
            group = item if isinstance(item, tuple) else (item,)
            missing = [n for n in group if n not in known]
            if len(missing) > 1:
                raise SpecError(f"cannot split an axis of size {size} into {missing}: give "
                                f"all but one of them in sizes.", layer=where, field="sizes",
                                value=dict(self.sizes))
            product = sympy.Mul(*(known[n] for n in group if n in known))
            if missing:
                known[missing[0]] = size / product
                constraints += require(sympy.Eq(sympy.Mod(size, product), 0), where=where,
                                       field="sizes", value=f"{size} into {group}",
                                       message=f"the axis of size {size} must divide into "
                                       f"{' × '.join(group)}")
            else:
                constraints += require(sympy.Eq(size, product), where=where, field="sizes",
                                       value=f"{size} vs {product}",
                                       message=f"the axis of size {size} must equal "
                                       f"{' × '.join(group)}")
        names: list[str] = []
        sizes: list[sympy.Expr] = []
        for item in right:
            if item == "...":
                names += [n for n, _ in rest]
                sizes += [s for _, s in rest]
            elif item == "1":
                names.append(f"unit{len(names)}")
                sizes.append(sympy.Integer(1))
            else:
                group = item if isinstance(item, tuple) else (item,)
                names.append("".join(group) or f"unit{len(names)}")
                sizes.append(sympy.Mul(*(known[n] for n in group)))
        if len(set(names)) != len(names):
            raise SpecError(f"the output axes {names} repeat a name; rename an axis.",
                            layer=where, field="pattern", value=self.pattern)
        return Shape._make(tuple(names), tuple(sizes)), _free(self.kind, shape.elements), \
            constraints


class Reshape(_Move):
    """A view with new axes, as ``x.reshape(...)``: the output axes by name, in order, with
    their sizes (numbers or formulas in the network's dims, as torch's traced sizes are) and
    at most one ``-1``, derived from the element count. The element count must not change
    (checked, deferred when symbolic). Free.

    >>> import symcost as sc
    >>> H, W = sc.dims("H W")
    >>> sc.Reshape(axes={"N": 1, "C": 8, "L": "H*W"}).output_shape(sc.Shape(C=8, H=H, W=W))
    Shape(N=1, C=8, L=H*W)
    """

    kind: Literal["reshape"] = "reshape"
    axes: dict[str, Dim | None]
    """Output axes in order: name → size, or −1 (stored as None) for the one derived from
    the element count."""

    @field_validator("axes", mode="before")
    @classmethod
    def _minus_one(cls, axes):
        if isinstance(axes, dict):  # torch's -1: the size derived from the element count
            return {k: None if (type(v) is int and v == -1) else v for k, v in axes.items()}
        return axes

    @field_validator("axes")
    @classmethod
    def _valid(cls, axes):
        if list(axes.values()).count(None) > 1:
            raise ValueError("at most one axis may be -1 (derived from the element count)")
        if not axes:
            raise ValueError("give at least one output axis")
        Shape.of([(name, 1) for name in axes], where="reshape")  # the names are axis names
        return axes

    def infer(self, shape, where):
        known = sympy.Mul(*(v for v in self.axes.values() if v is not None))
        constraints = []
        sizes = []
        for name, value in self.axes.items():
            if value is None:
                value = shape.elements / known
                constraints += require(sympy.Eq(sympy.Mod(shape.elements, known), 0),
                                       where=where, field="axes", value=f"{name}=-1",
                                       message="the other axes must divide the element count")
            sizes.append(value)
        out = Shape._make(tuple(self.axes), tuple(sizes))
        constraints += require(sympy.Eq(out.elements, shape.elements), where=where,
                               field="axes", value=lambda: f"{out} from {shape}",
                               message="a reshape keeps the number of elements")
        return out, _free(self.kind, shape.elements), constraints
