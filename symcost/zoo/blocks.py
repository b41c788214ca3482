"""Building blocks the zoo's architectures share: exact width multipliers and channel
rounding, convolution–norm–activation units, squeeze-and-excitation.

The rounding rules are torchvision's, carried out in exact rational arithmetic (a float
multiplier such as 0.75 is read as the decimal it prints as, 3/4).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import sympy

from ..containers import Residual, Sequential
from ..errors import SpecError
from ..layers.activation import ReLU, Sigmoid
from ..layers.base import Layer, Spec
from ..layers.conv import Conv2d, DepthwiseConv2d, PointwiseConv2d
from ..layers.norm import BatchNorm2d
from ..layers.pool import AdaptiveAvgPool2d
from ..shapes import pair

__all__ = ["multiplier", "make_divisible", "conv", "conv_norm_act", "squeeze_excitation",
           "variant"]


def multiplier(value, *, model: str, field: str, upper=None) -> sympy.Expr:
    """An exact positive multiplier: an int, a float read as its decimal (0.75 -> 3/4), a
    Fraction, a decimal string, or a sympy expression (kept symbolic).

    ``upper`` bounds a numeric value from above (MobileNetV1's alpha is at most 1).

    >>> multiplier(0.75, model="m", field="width_mult")
    3/4
    >>> multiplier(0, model="m", field="width_mult")
    Traceback (most recent call last):
    ...
    symcost.errors.SpecError: m, field 'width_mult': must be positive (given 0). ...
    """
    bound = f"in (0, {upper}]" if upper is not None else "positive"
    if isinstance(value, bool):
        raise SpecError(f"must be a number {bound} (given {value!r}).", layer=model,
                        field=field, value=value)
    if isinstance(value, float):
        value = Fraction(str(value))
    if isinstance(value, Fraction):
        value = sympy.Rational(value.numerator, value.denominator)
    try:
        expr = sympy.Rational(value) if isinstance(value, str) else \
            sympy.sympify(value, strict=True)
    except (sympy.SympifyError, TypeError, ValueError):
        raise SpecError(f"must be a number {bound} or a sympy symbol (given {value!r}).",
                        layer=model, field=field, value=value) from None
    if expr.is_Number and (expr <= 0 or (upper is not None and expr > upper)):
        raise SpecError(f"must be {bound} (given {value!r}). The published models use "
                        "values such as 0.5, 0.75, 1.", layer=model, field=field, value=value)
    if not expr.is_Number and not expr.free_symbols:
        raise SpecError(f"must be an exact number (given {value!r}).", layer=model,
                        field=field, value=value)
    return expr


def make_divisible(value, divisor: int = 8, min_value: int | None = None, *,
                   exact: bool = False) -> sympy.Expr:
    """torchvision's ``_make_divisible``: round to the nearest multiple of ``divisor`` (halves
    up), at least ``min_value`` (default ``divisor``), and one step up when rounding lost
    more than 10 %. A symbolic value is returned unrounded, unless ``exact``: then the rule
    itself, as floor/Min/Max (for widths that are not multiples of ``divisor`` at α = 1,
    such as MobileNetV3's squeeze width, where the unrounded value would differ).

    >>> [int(make_divisible(c * sympy.Rational(3, 4))) for c in (32, 16, 24, 96, 1280)]
    [24, 16, 24, 72, 960]
    >>> int(make_divisible(sympy.Rational(92, 10)))   # 9.2 -> 8 would lose 13 %: 16
    16
    """
    v = sympy.sympify(value)
    low = sympy.Integer(divisor if min_value is None else min_value)
    if not v.is_Number:
        if not exact:
            return v
        nearest = sympy.Max(low, sympy.floor((v + sympy.Rational(divisor, 2)) / divisor)
                            * divisor)
        # one step up when nearest < 0.9 v: ceil(9v - 10 nearest) >= 1 exactly then
        lost = sympy.Min(1, sympy.Max(0, sympy.ceiling(9 * v - 10 * nearest)))
        return nearest + divisor * lost
    floor_mult = sympy.floor(v + sympy.Rational(divisor, 2)) // divisor * divisor
    new = max(sympy.Integer(divisor if min_value is None else min_value), floor_mult)
    if new < sympy.Rational(9, 10) * v:
        new += divisor
    return sympy.Integer(new)


def conv(c_in, c_out, kernel_size, stride=1, padding=0, *, groups=1, dilation=1,
         bias: bool = False, name: str | None = None) -> Layer:
    """A convolution as torch's ``nn.Conv2d``, declared as the most specific symcost kind:
    depthwise when groups = in = out channels, pointwise for an unpadded undilated 1×1."""
    if groups != 1 and sympy.sympify(groups) == c_in and c_in == c_out:
        return DepthwiseConv2d(in_channels=c_in, kernel_size=kernel_size, stride=stride,
                               padding=padding, dilation=dilation, bias=bias, name=name)
    if pair(kernel_size) == (1, 1) and padding == 0 and pair(dilation) == (1, 1):
        return PointwiseConv2d(in_channels=c_in, out_channels=c_out, stride=stride,
                               groups=groups, bias=bias, name=name)
    return Conv2d(in_channels=c_in, out_channels=c_out, kernel_size=kernel_size, stride=stride,
                  padding=padding, groups=groups, dilation=dilation, bias=bias, name=name)


def conv_norm_act(c_in, c_out, kernel_size=3, stride=1, *, groups=1, dilation=1,
                  padding=None, activation: Callable[..., Layer] | None = ReLU,
                  norm: Callable[..., Layer] | None = BatchNorm2d, bias: bool | None = None,
                  name: str | None = None) -> Sequential:
    """torchvision's ``Conv2dNormActivation``: convolution, normalisation, activation.

    As there, the padding defaults to ``(k − 1)//2 · dilation`` (size-preserving at stride
    1) and the convolution has a bias only when there is no normalisation. Children are
    unnamed, so breakdown paths end in ``.0``, ``.1``, ``.2`` like torchvision's modules.
    """
    if padding is None:
        padding = tuple((k - 1) // 2 * d for k, d in zip(pair(kernel_size), pair(dilation)))
        padding = padding[0] if padding[0] == padding[1] else padding
    if bias is None:
        bias = norm is None
    layers: list[Layer] = [conv(c_in, c_out, kernel_size, stride, padding, groups=groups,
                                dilation=dilation, bias=bias)]
    if norm is BatchNorm2d:
        layers.append(BatchNorm2d(num_features=c_out))
    elif norm is not None:
        layers.append(norm(num_channels=c_out))
    if activation is not None:
        layers.append(activation())
    return Sequential(layers=layers, name=name)


def squeeze_excitation(channels, squeeze, *, activation: Callable[..., Layer] = ReLU,
                       gate: Callable[..., Layer] = Sigmoid,
                       name: str | None = None) -> Residual:
    """torchvision's ``SqueezeExcitation``: x · gate(fc2(act(fc1(avgpool(x))))), with fc1
    and fc2 biased 1×1 convolutions (C -> squeeze -> C) on the pooled 1×1 map. The gating
    product is the ``mul`` merge of a :class:`~symcost.Residual` with identity shortcut."""
    body = Sequential(name="scale", layers=[
        AdaptiveAvgPool2d(output_size=1, name="avgpool"),
        PointwiseConv2d(in_channels=channels, out_channels=squeeze, bias=True, name="fc1"),
        activation(name="activation"),
        PointwiseConv2d(in_channels=squeeze, out_channels=channels, bias=True, name="fc2"),
        gate(name="scale_activation"),
    ])
    return Residual(body=body, merge="mul", name=name)


def variant(name: str, doc: str, family: Callable[..., Spec], /, *args,
            **kwargs) -> Callable[..., Spec]:
    """A named model builder: ``family(*args, **kwargs)`` with only ``num_classes`` left to
    choose, named ``name`` (as the zoo registers it) and documented by ``doc``.

    >>> from symcost.zoo.vgg import vgg
    >>> vgg16 = variant("vgg16", "VGG-16.", vgg, "D", name="vgg16")
    >>> vgg16.__name__, vgg16(num_classes=10).name
    ('vgg16', 'vgg16')
    """
    def build(*, num_classes: int = 1000) -> Spec:
        return family(*args, num_classes=num_classes, **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = doc
    return build
