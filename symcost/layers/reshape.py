"""Layers that move or drop data without arithmetic: Flatten, Identity, Dropout,
StochasticDepth, ChannelShuffle, ChannelChunk, Permute."""

from __future__ import annotations

from typing import Literal

import sympy
from pydantic import Field, field_validator

from ..checks import divides, require
from ..counts import OpCounts
from ..dims import Dim
from ..errors import SpecError
from ..shapes import Shape
from .base import Census, Layer

__all__ = ["Flatten", "Identity", "Dropout", "StochasticDepth", "ChannelShuffle",
           "ChannelChunk", "Permute"]


def _free(kind: str, n) -> Census:
    return Census(kind=kind, ops=OpCounts(), inputs=n, outputs=n)


class Flatten(Layer):
    """Flatten N×C×H×W into an N×(C·H·W) vector (torch's ``start_dim=1``). Free."""

    kind: Literal["flatten"] = "flatten"

    def infer(self, shape, where):
        out = shape.replace(C=shape.C * shape.spatial, H=None, W=None)
        return out, _free(self.kind, shape.elements), []


class Identity(Layer):
    """Passes its input through. Free."""

    kind: Literal["identity"] = "identity"

    def infer(self, shape, where):
        return shape, _free(self.kind, shape.elements), []


class Dropout(Layer):
    """Dropout: the identity at inference, hence free."""

    kind: Literal["dropout"] = "dropout"
    p: float = Field(0.5, ge=0.0, le=1.0)
    """Drop probability (does not change the count)."""

    def infer(self, shape, where):
        return shape, _free(self.kind, shape.elements), []


class ChannelShuffle(Layer):
    """ShuffleNet's channel shuffle: a permutation of channels in ``groups`` groups. Free."""

    kind: Literal["channel_shuffle"] = "channel_shuffle"
    groups: Dim
    """Groups; must divide the channels."""

    def infer(self, shape, where):
        constraints = require(divides(self.groups, shape.C), where=where, field="groups",
                              value=f"groups={self.groups}, C={shape.C}",
                              message="groups must divide the input channels")
        return shape, _free(self.kind, shape.elements), constraints


class StochasticDepth(Layer):
    """Stochastic depth (torchvision's ``StochasticDepth``): during training it drops a
    residual branch per sample ("row") or per batch; at inference it is the identity,
    hence free."""

    kind: Literal["stochastic_depth"] = "stochastic_depth"
    p: float = Field(0.0, ge=0.0, le=1.0)
    """Drop probability during training (does not change the count)."""
    mode: Literal["row", "batch"] = "row"
    """Whether training drops per sample ("row") or for the whole batch."""

    def infer(self, shape, where):
        return shape, _free(self.kind, shape.elements), []


class ChannelChunk(Layer):
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
        constraints = require(divides(self.chunks, shape.C), where=where, field="chunks",
                              value=f"chunks={self.chunks}, C={shape.C}",
                              message="chunks must divide the input channels")
        constraints += require(
            sympy.Lt(self.index, self.chunks), where=where, field="index",
            value=f"index={self.index}, chunks={self.chunks}",
            message=f"index {self.index} does not exist among {self.chunks} chunks. Use an "
                    f"index from 0 to {self.chunks - 1}", error=SpecError)
        out = shape.replace(C=shape.C / self.chunks)
        return out, _free(self.kind, out.elements), constraints


class Permute(Layer):
    """Reorder the axes, as ``x.permute(*dims)`` (torchvision's ``Permute``). Free.

    The result's axes are still called N, C, H, W by position: after ``dims=(0, 2, 3, 1)``
    (channels-last) the ``W`` position holds the channels, which is where
    :class:`~symcost.Linear` and :class:`~symcost.LayerNorm` act, exactly as in torch.

    >>> import symcost as sc
    >>> sc.Permute(dims=(0, 2, 3, 1)).output_shape(sc.Shape(C=96, H=56, W=56))
    Shape(N=1, C=56, H=56, W=96)
    """

    kind: Literal["permute"] = "permute"
    dims: tuple[int, ...]
    """The new order of the axes: a permutation of 0…3 (0, 1 for a vector)."""

    @field_validator("dims")
    @classmethod
    def _is_permutation(cls, dims):
        if sorted(dims) not in ([0, 1], [0, 1, 2, 3]):
            raise ValueError("dims must be a permutation of (0, 1, 2, 3) for a feature map or "
                             "(0, 1) for a vector")
        return dims

    def infer(self, shape, where):
        axes = list(shape.axes().values())
        if len(axes) != len(self.dims):
            raise SpecError(f"dims {self.dims} does not fit the {len(axes)} axes of {shape}. "
                            f"Give a permutation of 0…{len(axes) - 1}.", layer=where,
                            field="dims", value=self.dims)
        moved = [axes[i] for i in self.dims]
        names = ("N", "C", "H", "W")
        out = Shape.model_construct(**dict(zip(names, moved)),
                                    **{n: None for n in names[len(moved):]})
        return out, _free(self.kind, shape.elements), []
