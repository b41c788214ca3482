"""Convolutions of any rank (1-D, 2-D, 3-D), transposed, depthwise, pointwise and
depthwise-separable.

Notation: K = kernel volume (kh·kw for 2-D; k for 1-D; kt·kh·kw for 3-D), g = groups,
E = N·C_out·(output positions) output elements. Every convolution here is counted from one
grouped-convolution census, whatever its rank, so "depthwise = grouped conv with groups = C"
and "pointwise = conv with K = 1" hold by construction (and are tested against a
brute-force count).
"""

from __future__ import annotations

from typing import ClassVar, Literal

import sympy
from pydantic import model_validator

from ..checks import Constraint, divides, require
from ..counts import OpCounts
from ..dims import Dim, DimPair, NonNegDimPair, Padding
from ..shapes import Shape, needs_rank, per_axis, spatial_out, transposed_out
from .base import Census, Layer, check_axes, match_channels

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d", "DepthwiseConv2d",
           "PointwiseConv2d", "SeparableConv2d", "grouped_conv_census"]


def _group_constraints(groups, channels, where="") -> list[Constraint]:
    """Groups must divide each channel count: raises if definitely not, defers if open."""
    out: list[Constraint] = []
    for field, value in channels.items():
        out += require(divides(groups, value), where=where, field="groups",
                       value=f"groups={groups}, {field}={value}",
                       message=f"groups must divide {field}. Choose groups among the "
                       f"divisors of {field}")
    return out


def grouped_conv_census(kind: str, shape: Shape, *, in_channels, out_channels, kernel_size,
                        stride, padding, dilation, groups, bias: bool, where: str,
                        rank: int = 2) -> tuple[Shape, Census, list[Constraint]]:
    """The census shared by every output-centric convolution, of any rank.

    MACs = N·(output positions)·C_out·(C_in/g)·K; one dot product per output element; one
    bias add per output element when ``bias``.
    """
    needs_rank(shape, rank, where)
    constraints = match_channels(shape.channels, in_channels, where=where)
    constraints += _group_constraints(groups, {"in_channels": in_channels,
                                               "out_channels": out_channels}, where)
    sizes, more = spatial_out(shape, kernel=kernel_size, stride=stride, padding=padding,
                              dilation=dilation, where=where, rank=rank)
    kernel = per_axis(kernel_size, rank)
    out = shape.with_sizes([shape[0], out_channels, *sizes])
    elements = out.elements
    per_output = in_channels / groups * sympy.Mul(*kernel)
    weights = out_channels * per_output
    census = Census(
        kind=kind,
        ops=OpCounts(mac=elements * per_output, dot=elements, bias=elements if bias else 0),
        inputs=shape.elements, outputs=elements,
        params=weights + (out_channels if bias else 0),
        attrs={"groups": groups, "kernel": kernel, "padding": padding, "weights": weights},
    )
    return out, census, constraints + more


class _ConvNd(Layer):
    """A convolution over ``spatial_rank`` axes, as ``torch.nn.Conv{1,2,3}d``.

    MACs = N·(output positions)·C_out·(C_in/groups)·K, K the kernel volume;
    params = C_out·(C_in/groups)·K (+ C_out with bias).
    """

    family: ClassVar[str] = "convolution"
    spatial_rank: ClassVar[int] = 2

    in_channels: Dim
    """Input channels C_in."""
    out_channels: Dim
    """Output channels C_out."""
    kernel_size: DimPair
    """Kernel size, or one per spatial axis."""
    stride: DimPair = sympy.Integer(1)
    """Stride, or one per spatial axis."""
    padding: Padding = sympy.Integer(0)
    """Zero padding per side (or one per spatial axis), ``"same"`` (output ceil(size/stride))
    or ``"valid"``."""
    dilation: DimPair = sympy.Integer(1)
    """Dilation, or one per spatial axis."""
    groups: Dim = sympy.Integer(1)
    """Groups; must divide both channel counts."""
    bias: bool = True
    """Whether the layer adds a bias (torch's default: True)."""

    @model_validator(mode="after")
    def _check(self):
        check_axes(self, self.spatial_rank, ("kernel_size", "stride", "padding", "dilation"))
        _group_constraints(self.groups, {"in_channels": self.in_channels,
                                         "out_channels": self.out_channels})
        return self

    def infer(self, shape, where):
        return grouped_conv_census(
            self.kind, shape, in_channels=self.in_channels, out_channels=self.out_channels,
            kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
            dilation=self.dilation, groups=self.groups, bias=self.bias, where=where,
            rank=self.spatial_rank)


class Conv1d(_ConvNd):
    """1-D convolution over N×C×L, as ``torch.nn.Conv1d``.

    MACs = N·L_out·C_out·(C_in/groups)·k; params = C_out·(C_in/groups)·k (+ C_out with bias).

    >>> import symcost as sc
    >>> C, L = sc.dims("C L")
    >>> sc.Conv1d(in_channels=C, out_channels=C, kernel_size=3, padding=1,
    ...           bias=False).cost(sc.Shape(C=C, L=L)).macs
    3*C**2*L
    """

    kind: Literal["conv1d"] = "conv1d"
    spatial_rank: ClassVar[int] = 1
    ranks: ClassVar[tuple[int, ...] | None] = (3,)


class Conv2d(_ConvNd):
    """2-D convolution, as ``torch.nn.Conv2d``.

    MACs = N·H_out·W_out·C_out·(C_in/groups)·kh·kw (the seed: K·K·C_in·H_out·W_out·C_out);
    params = C_out·(C_in/groups)·kh·kw (+ C_out with bias).

    >>> import symcost as sc
    >>> C_in, C_out, K, H, W = sc.dims("C_in C_out K H W")
    >>> conv = sc.Conv2d(in_channels=C_in, out_channels=C_out, kernel_size=K, padding="same")
    >>> conv.cost(sc.Shape(C=C_in, H=H, W=W)).macs
    C_in*C_out*H*K**2*W
    """

    kind: Literal["conv2d"] = "conv2d"
    ranks: ClassVar[tuple[int, ...] | None] = (4,)


class Conv3d(_ConvNd):
    """3-D convolution over N×C×T×H×W (video, volumes), as ``torch.nn.Conv3d``.

    MACs = N·T_out·H_out·W_out·C_out·(C_in/groups)·kt·kh·kw;
    params = C_out·(C_in/groups)·kt·kh·kw (+ C_out with bias).

    >>> import symcost as sc
    >>> T, H, W = sc.dims("T H W")
    >>> sc.Conv3d(in_channels=3, out_channels=64, kernel_size=(3, 7, 7), stride=(1, 2, 2),
    ...           padding=(1, 3, 3), bias=False).cost(
    ...     sc.Shape(C=3, T=T, H=224, W=224), "macs").macs
    354041856*T
    """

    kind: Literal["conv3d"] = "conv3d"
    spatial_rank: ClassVar[int] = 3
    ranks: ClassVar[tuple[int, ...] | None] = (5,)
class DepthwiseConv2d(Layer):
    """Depthwise convolution: one K×K filter per input channel (``depth_multiplier`` D
    filters per channel), i.e. a grouped convolution with groups = C.

    MACs = N·H_out·W_out·C·D·K·K (the seed: K·K·C·H_out·W_out for D = 1);
    params = C·D·K·K (+ C·D with bias).
    """

    kind: Literal["depthwise_conv2d"] = "depthwise_conv2d"
    family: ClassVar[str] = "convolution"
    ranks: ClassVar[tuple[int, ...] | None] = (4,)
    in_channels: Dim
    """Channels C (input); the output has C·D."""
    kernel_size: DimPair
    """Kernel side K, or (kh, kw)."""
    depth_multiplier: Dim = sympy.Integer(1)
    """Filters per input channel, D."""
    stride: DimPair = sympy.Integer(1)
    """Stride, or (sh, sw)."""
    padding: Padding = sympy.Integer(0)
    """Zero padding per side, (ph, pw), ``"same"`` or ``"valid"``."""
    dilation: DimPair = sympy.Integer(1)
    """Dilation, or (dh, dw)."""
    bias: bool = False
    """Whether the layer adds a bias (off by default: separable blocks put it after BN)."""

    @model_validator(mode="after")
    def _check(self):
        check_axes(self, 2, ("kernel_size", "stride", "padding", "dilation"))
        return self

    @property
    def out_channels(self) -> sympy.Expr:
        return self.in_channels * self.depth_multiplier

    def as_conv2d(self) -> Conv2d:
        """The equivalent grouped :class:`Conv2d`."""
        return Conv2d(in_channels=self.in_channels, out_channels=self.out_channels,
                      kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
                      dilation=self.dilation, groups=self.in_channels, bias=self.bias)

    def infer(self, shape, where):
        return grouped_conv_census(
            self.kind, shape, in_channels=self.in_channels, out_channels=self.out_channels,
            kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
            dilation=self.dilation, groups=self.in_channels, bias=self.bias, where=where)


class PointwiseConv2d(Layer):
    """Pointwise (1×1) convolution: a per-position linear map of channels.

    MACs = N·H_out·W_out·C_in·C_out (the seed: C_in·H_out·W_out·C_out); params = C_in·C_out
    (+ C_out with bias).
    """

    kind: Literal["pointwise_conv2d"] = "pointwise_conv2d"
    family: ClassVar[str] = "convolution"
    ranks: ClassVar[tuple[int, ...] | None] = (4,)
    in_channels: Dim
    """Input channels C_in."""
    out_channels: Dim
    """Output channels C_out."""
    stride: DimPair = sympy.Integer(1)
    """Stride, or (sh, sw)."""
    groups: Dim = sympy.Integer(1)
    """Groups (ShuffleNet's grouped 1×1); must divide both channel counts."""
    bias: bool = False
    """Whether the layer adds a bias."""

    @model_validator(mode="after")
    def _groups_divide(self):
        check_axes(self, 2, ("stride",))
        _group_constraints(self.groups, {"in_channels": self.in_channels,
                                         "out_channels": self.out_channels})
        return self

    def as_conv2d(self) -> Conv2d:
        """The equivalent :class:`Conv2d` with K = 1."""
        return Conv2d(in_channels=self.in_channels, out_channels=self.out_channels,
                      kernel_size=1, stride=self.stride, groups=self.groups, bias=self.bias)

    def infer(self, shape, where):
        return grouped_conv_census(
            self.kind, shape, in_channels=self.in_channels, out_channels=self.out_channels,
            kernel_size=sympy.Integer(1), stride=self.stride, padding=sympy.Integer(0),
            dilation=sympy.Integer(1), groups=self.groups, bias=self.bias, where=where)


class SeparableConv2d(Layer):
    """Depthwise-separable convolution: a depthwise K×K convolution, then a pointwise one.

    Reported as its two parts (``depthwise``, ``pointwise``) and their sum:
    MACs = C_in·H_out·W_out·(K·K + C_out) per sample (the seed's formula; with a depth
    multiplier D, C_in·D·H_out·W_out·(K·K + C_out)). The ratio to a regular convolution is
    ``C_out*K**2/(C_out + K**2)``.
    """

    kind: Literal["separable_conv2d"] = "separable_conv2d"
    composite: ClassVar[bool] = True
    family: ClassVar[str] = "convolution"
    ranks: ClassVar[tuple[int, ...] | None] = (4,)
    in_channels: Dim
    """Input channels C_in."""
    out_channels: Dim
    """Output channels C_out."""
    kernel_size: DimPair
    """Kernel side K of the depthwise part, or (kh, kw)."""
    depth_multiplier: Dim = sympy.Integer(1)
    """Depthwise filters per input channel, D."""
    stride: DimPair = sympy.Integer(1)
    """Stride of the depthwise part."""
    padding: Padding = sympy.Integer(0)
    """Padding of the depthwise part."""
    dilation: DimPair = sympy.Integer(1)
    """Dilation of the depthwise part."""
    bias: bool = False
    """Bias on the pointwise part (the depthwise part never has one here)."""

    @model_validator(mode="after")
    def _check(self):
        check_axes(self, 2, ("kernel_size", "stride", "padding", "dilation"))
        return self

    def parts(self):
        depthwise = DepthwiseConv2d(in_channels=self.in_channels, kernel_size=self.kernel_size,
                                    depth_multiplier=self.depth_multiplier, stride=self.stride,
                                    padding=self.padding, dilation=self.dilation, bias=False)
        pointwise = PointwiseConv2d(in_channels=depthwise.out_channels,
                                    out_channels=self.out_channels, bias=self.bias)
        return [("depthwise", depthwise), ("pointwise", pointwise)]


class ConvTranspose2d(Layer):
    """Transposed ("de-") convolution, as ``torch.nn.ConvTranspose2d``.

    The seed counts deconvolution "the same way" as convolution: K·K·C_in·C_out/g MACs per
    position. Positions here are the *input* positions — each input value is multiplied by
    every weight of its group once and scattered into the output — which is what fvcore,
    ptflops and torch's FlopCounterMode count: MACs = N·H_in·W_in·C_in·(C_out/g)·kh·kw.
    (Counting over output positions, as thop 0.1.1 and torchinfo do, overstates the work by
    about stride².) Each scattered product is added into the output, so there are no
    separate dot products; the bias adds once per output element.

    H_out = (H_in − 1)·s − 2p + d·(k − 1) + output_padding + 1.
    """

    kind: Literal["conv_transpose2d"] = "conv_transpose2d"
    family: ClassVar[str] = "convolution"
    ranks: ClassVar[tuple[int, ...] | None] = (4,)
    in_channels: Dim
    """Input channels C_in."""
    out_channels: Dim
    """Output channels C_out."""
    kernel_size: DimPair
    """Kernel side K, or (kh, kw)."""
    stride: DimPair = sympy.Integer(1)
    """Stride, or (sh, sw)."""
    padding: NonNegDimPair = sympy.Integer(0)
    """Implicit padding removed from each side of the output."""
    output_padding: NonNegDimPair = sympy.Integer(0)
    """Extra size added to one side of the output; must be below stride or dilation."""
    dilation: DimPair = sympy.Integer(1)
    """Dilation, or (dh, dw)."""
    groups: Dim = sympy.Integer(1)
    """Groups; must divide both channel counts."""
    bias: bool = True
    """Whether the layer adds a bias (torch's default: True)."""

    @model_validator(mode="after")
    def _check(self):
        check_axes(self, 2, ("kernel_size", "stride", "padding", "output_padding",
                              "dilation"))
        _group_constraints(self.groups, {"in_channels": self.in_channels,
                                         "out_channels": self.out_channels})
        for op, s, d in zip(per_axis(self.output_padding, 2), per_axis(self.stride, 2),
                            per_axis(self.dilation, 2)):
            require(sympy.Lt(op, sympy.Max(s, d)), where="", field="output_padding",
                    value=op, message="output_padding must be smaller than stride or dilation")
        return self

    def infer(self, shape, where):
        needs_rank(shape, 2, where)
        constraints = match_channels(shape.channels, self.in_channels, where=where)
        constraints += _group_constraints(self.groups, {"in_channels": self.in_channels,
                                                        "out_channels": self.out_channels},
                                          where)
        sizes = []
        for axis, size, k, s, p, op, d in zip(
                shape.spatial_names, shape.spatial_sizes, per_axis(self.kernel_size, 2),
                per_axis(self.stride, 2), per_axis(self.padding, 2),
                per_axis(self.output_padding, 2), per_axis(self.dilation, 2)):
            out = transposed_out(size, k, s, p, d, op)
            constraints += require(out >= 1, where=where, field="padding", value=p,
                                   message=f"output {axis} = {out} is below 1. Use less padding")
            sizes.append(out)
        kernel = per_axis(self.kernel_size, 2)
        out_shape = shape.with_sizes([shape[0], self.out_channels, *sizes])
        per_input = self.out_channels / self.groups * sympy.Mul(*kernel)
        census = Census(
            kind=self.kind,
            ops=OpCounts(mac=shape.elements * per_input,
                         bias=out_shape.elements if self.bias else 0),
            inputs=shape.elements, outputs=out_shape.elements,
            params=self.in_channels * per_input + (self.out_channels if self.bias else 0),
            attrs={"groups": self.groups, "kernel": kernel, "in_channels": self.in_channels,
                   "out_channels": self.out_channels, "transposed": True,
                   "weights": self.in_channels * per_input},
        )
        return out_shape, census, constraints
