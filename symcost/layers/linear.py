"""Fully connected layers."""

from __future__ import annotations

from typing import ClassVar, Literal

import sympy

from ..counts import OpCounts
from ..dims import Dim
from .base import Census, Layer, match_channels

__all__ = ["Linear"]


class Linear(Layer):
    """Fully connected layer, as ``torch.nn.Linear``: acts on the last axis, whatever the
    rank (the features C of a flattened vector, D of a sequence N×L×D, W of a feature map,
    as torch does); the leading axes are rows.

    MACs = rows·in_features·out_features (rows = elements / in_features; 1 per sample for a
    vector). The seed's FC line is garbled in transcription; symcost reads it as MACC =
    C_in·C_out, and under the ``flops`` convention a dot product of length n costs n
    multiplies and n − 1 adds: (2·in − 1)·out FLOPs without bias, 2·in·out with it.
    params = in·out (+ out with bias); a ``tied`` weight is counted where it is
    declared, so only the bias here.

    >>> import symcost as sc
    >>> fc = sc.Linear(in_features=1024, out_features=1000, bias=False)
    >>> fc.cost(sc.Shape(C=1024), "flops").flops
    2047000
    """

    kind: Literal["linear"] = "linear"
    family: ClassVar[str] = "mm"
    in_features: Dim
    """Input features."""
    out_features: Dim
    """Output features."""
    bias: bool = True
    """Whether the layer adds a bias (torch's default: True)."""
    tied: bool = False
    """The weight is another layer's (weight tying: a language model's output projection
    reuses the token embedding's table): its work is counted here, its in·out weights
    there, once (a bias stays this layer's)."""

    def infer(self, shape, where):
        constraints = match_channels(shape.last, self.in_features, where=where,
                                     field="in_features")
        out = shape.with_size(-1, self.out_features)
        rows = shape.elements / shape.last
        outputs = rows * self.out_features
        census = Census(
            kind=self.kind,
            ops=OpCounts(mac=outputs * self.in_features, dot=outputs,
                         bias=outputs if self.bias else 0),
            inputs=shape.elements, outputs=outputs,
            # sympify: a tied, bias-free head would otherwise give the int 0, which has no
            # free_symbols (the CLI's report of a tied language model failed on it)
            params=sympy.sympify((0 if self.tied else self.in_features * self.out_features)
                                 + (self.out_features if self.bias else 0)),
            attrs={"rows": rows, "tied": self.tied},
        )
        return out, census, constraints
