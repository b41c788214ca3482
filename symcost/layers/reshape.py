"""Layers that move or drop data without arithmetic: Flatten, Identity, Dropout,
ChannelShuffle."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..checks import divides, require
from ..counts import OpCounts
from ..dims import Dim
from .base import Census, Layer

__all__ = ["Flatten", "Identity", "Dropout", "ChannelShuffle"]


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
