"""Small teaching networks."""

from __future__ import annotations

from ..containers import Parallel
from ..dims import dims
from ..layers.conv import Conv2d, SeparableConv2d
from ..shapes import Shape

__all__ = ["separable_vs_regular", "separable_vs_regular_input"]


def separable_vs_regular() -> Parallel:
    """The seed's comparison: a regular K×K convolution (``regular``) beside the
    depthwise-separable one that replaces it (``separable``), both on the same
    C_in×H×W input with "same" padding, joined by concatenation only so they can be
    reported side by side. The ratio of their MACs is ``C_out*K**2/(C_out + K**2)``.
    """
    c_in, c_out, k = dims("C_in C_out K")
    return Parallel(name="separable_vs_regular", branches=[
        Conv2d(in_channels=c_in, out_channels=c_out, kernel_size=k, padding="same",
               bias=False, name="regular"),
        SeparableConv2d(in_channels=c_in, out_channels=c_out, kernel_size=k, padding="same",
                        name="separable"),
    ])


def separable_vs_regular_input(multiple: bool = True) -> Shape:
    """Its input: ``Shape(C=C_in, H=H, W=W)``."""
    c_in, h, w = dims("C_in H W")
    return Shape(C=c_in, H=h, W=w)
