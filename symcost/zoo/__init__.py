"""Reference architectures as symbolic specs, looked up by name.

The torchvision classification families are built module for module as torchvision builds
them (names as torchvision's model builders), so parameter counts equal torchvision's and
MACs under the ``macs`` convention equal its documented GFLOPS; the resolution comes from
the input :class:`~symcost.Shape`, so H and W may be symbols. MobileNetV1 follows its paper.

The transformers are built module for module as Hugging Face ``transformers`` and
torchvision build them (GPT-2, BERT, T5, LLaMA 2/3, Mistral, Mixtral; ViT, Swin), each
with its published configuration and parameters equal to the class's; a language model's
input is token ids ``Shape(N=B, L=T)``, so its cost is a closed form in B and T.
:func:`decoder_lm` and :func:`encoder` build one from a configuration whose sizes may be
symbols.

>>> from symcost import zoo
>>> "resnet50" in zoo.list()
True
>>> zoo.get("resnet50").build().cost(zoo.get("resnet50").input(), "macs").total.macs
81456*H*W + 2048000
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType

from ..dims import dim
from ..errors import UnknownModelError
from ..layers.base import Spec
from ..shapes import Shape
from . import alexnet as _alexnet
from . import bert as _bert
from . import convnext as _convnext
from . import densenet as _densenet
from . import efficientnet as _efficientnet
from . import googlenet as _googlenet
from . import gpt2 as _gpt2
from . import llama as _llama
from . import mnasnet as _mnasnet
from . import mobilenet_v2 as _mobilenet_v2
from . import mobilenet_v3 as _mobilenet_v3
from . import regnet as _regnet
from . import resnet as _resnet
from . import shufflenet as _shufflenet
from . import squeezenet as _squeezenet
from . import swin as _swin
from . import t5 as _t5
from . import vgg as _vgg
from . import vit as _vit
from .alexnet import alexnet
from .bert import bert_base, bert_large
from .convnext import convnext_base, convnext_large, convnext_small, convnext_tiny
from .densenet import densenet121, densenet161, densenet169, densenet201
from .efficientnet import (
    efficientnet_b0,
    efficientnet_b1,
    efficientnet_b2,
    efficientnet_b3,
    efficientnet_b4,
    efficientnet_b5,
    efficientnet_b6,
    efficientnet_b7,
)
from .examples import separable_vs_regular, separable_vs_regular_input
from .googlenet import googlenet
from .gpt2 import gpt2, gpt2_large, gpt2_medium, gpt2_xl, token_input
from .llama import (
    llama2_7b,
    llama2_13b,
    llama2_70b,
    llama3_8b,
    llama3_70b,
    mistral_7b,
    mixtral_8x7b,
)
from .mnasnet import mnasnet0_5, mnasnet0_75, mnasnet1_0, mnasnet1_3
from .mobilenet import mobilenet_v1
from .mobilenet_v2 import mobilenet_v2
from .mobilenet_v3 import mobilenet_v3_large, mobilenet_v3_small
from .regnet import (
    regnet_x_1_6gf,
    regnet_x_3_2gf,
    regnet_x_8gf,
    regnet_x_16gf,
    regnet_x_32gf,
    regnet_x_400mf,
    regnet_x_800mf,
    regnet_y_1_6gf,
    regnet_y_3_2gf,
    regnet_y_8gf,
    regnet_y_16gf,
    regnet_y_32gf,
    regnet_y_400mf,
    regnet_y_800mf,
)
from .resnet import (
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
    resnext50_32x4d,
    resnext101_32x8d,
    resnext101_64x4d,
    wide_resnet50_2,
    wide_resnet101_2,
)
from .shufflenet import (
    shufflenet_v2_x0_5,
    shufflenet_v2_x1_0,
    shufflenet_v2_x1_5,
    shufflenet_v2_x2_0,
)
from .squeezenet import squeezenet1_0, squeezenet1_1
from .swin import swin_t
from .t5 import t5_base, t5_small
from .transformer_blocks import decoder_lm, encoder
from .vgg import vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn
from .vit import vit_b_16, vit_l_16

__all__ = [
    "ZooEntry", "names", "list", "get", "list_models", "mobilenet_v1", "separable_vs_regular",
    "alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
    "vgg19_bn", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2",
    "wide_resnet101_2", "squeezenet1_0", "squeezenet1_1", "googlenet", "densenet121",
    "densenet161", "densenet169", "densenet201", "mobilenet_v2", "mobilenet_v3_large",
    "mobilenet_v3_small", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5",
    "shufflenet_v2_x2_0", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
    "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
    "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7",
    "regnet_y_400mf", "regnet_y_800mf", "regnet_y_1_6gf", "regnet_y_3_2gf", "regnet_y_8gf",
    "regnet_y_16gf", "regnet_y_32gf", "regnet_x_400mf", "regnet_x_800mf", "regnet_x_1_6gf",
    "regnet_x_3_2gf", "regnet_x_8gf", "regnet_x_16gf", "regnet_x_32gf", "convnext_tiny",
    "convnext_small", "convnext_base", "convnext_large", "decoder_lm", "encoder",
    "gpt2", "gpt2_medium", "gpt2_large", "gpt2_xl", "llama2_7b", "llama2_13b", "llama2_70b",
    "llama3_8b", "llama3_70b", "mistral_7b", "mixtral_8x7b", "bert_base", "bert_large",
    "t5_small", "t5_base", "vit_b_16", "vit_l_16", "swin_t",
]


@dataclass(frozen=True)
class ZooEntry:
    """A built-in network: how to build it and the input it is meant for."""

    name: str
    summary: str
    build: Callable[..., Spec]
    stride: int
    """Total stride; ``input(multiple=True)`` declares H and W multiples of it."""
    input_fn: Callable[[bool], Shape] | None = None
    resolution: int | None = None
    """The resolution its reference figures are quoted at (torchvision's eval crop size)."""
    architecture: str = "cnn"
    """``cnn``; ``transformer`` (a language model: its input is token ids ``Shape(N=B,
    L=T)``); ``vision_transformer`` (an image model with attention, whose cost is not a
    quadratic polynomial in H and W)."""

    def input(self, multiple: bool = True) -> Shape:
        """The symbolic input: ``Shape(C=3, H=H, W=W)`` for image models."""
        if self.input_fn is not None:
            return self.input_fn(multiple)
        m = self.stride if multiple else None
        return Shape(C=3, H=dim("H", multiple_of=m), W=dim("W", multiple_of=m))


def _family(module, stride: int = 32) -> tuple[ZooEntry, ...]:
    """Entries for a family module's registered builders (its ``MODELS``), summarised by the
    first line of each builder's docstring."""
    return tuple(
        ZooEntry(build.__name__, (build.__doc__ or "").strip().splitlines()[0], build, stride,
                 resolution=_RESOLUTIONS.get(build.__name__, 224))
        for build in module.MODELS)


def _language(module) -> tuple[ZooEntry, ...]:
    """Entries for a family of language models: input token ids ``Shape(N=B, L=T)``."""
    return tuple(
        ZooEntry(build.__name__, (build.__doc__ or "").strip().splitlines()[0], build, 1,
                 token_input, architecture="transformer")
        for build in module.MODELS)


def _vision_transformers(module) -> tuple[ZooEntry, ...]:
    """Entries for ViTs: built with the position table sized by the symbol H (a multiple of
    the patch), on the square input ``Shape(C=3, H=H, W=H)``; named as the published
    builder (224 by default)."""
    return tuple(
        ZooEntry(published.__name__, (published.__doc__ or "").strip().splitlines()[0],
                 symbolic, 16, module.square_input, resolution=224,
                 architecture="vision_transformer")
        for published, symbolic in module.MODELS)


#: The weights' eval crop sizes that are not 224 (torchvision's EfficientNet weights).
_RESOLUTIONS = {f"efficientnet_{v}": crop
                for v, (_, _, _, crop) in _efficientnet.EFFICIENTNET_SCALING.items()}

_ENTRIES = MappingProxyType({e.name: e for e in (
    ZooEntry("mobilenet_v1", "MobileNetV1 (Howard et al. 2017, Table 1), width multiplier "
             "alpha", mobilenet_v1, 32, resolution=224),
    ZooEntry("mobilenet_v1_full_conv", "MobileNetV1 Table 4's baseline: regular 3×3 "
             "convolutions instead of depthwise-separable ones",
             partial(mobilenet_v1, full_conv=True), 32, resolution=224),
    ZooEntry("separable_vs_regular", "The seed's example: a regular K×K convolution beside "
             "its depthwise-separable replacement", separable_vs_regular, 1,
             separable_vs_regular_input),
    *_family(_alexnet),
    *_family(_vgg),
    *_family(_resnet),
    *_family(_squeezenet, 16),
    *_family(_googlenet),
    *_family(_densenet),
    *_family(_mobilenet_v2),
    *_family(_mobilenet_v3),
    *_family(_shufflenet),
    *_family(_mnasnet),
    *_family(_efficientnet),
    *_family(_regnet),
    *_family(_convnext),
    *_language(_gpt2),
    *_language(_llama),
    *_language(_bert),
    *_language(_t5),
    *_vision_transformers(_vit),
    ZooEntry("swin_t", (_swin.swin_t.__doc__ or "").strip().splitlines()[0], _swin.swin_t,
             224, _swin.window_input, resolution=224, architecture="vision_transformer"),
)})


def names() -> builtins.list[str]:
    """Names of the built-in networks."""
    return sorted(_ENTRIES)


def list_models() -> builtins.list[ZooEntry]:
    """The built-in networks."""
    return [_ENTRIES[n] for n in names()]


def get(name: str) -> ZooEntry:
    """A built-in network by name (case and '-' vs '_' ignored)."""
    key = str(name).strip().lower().replace("-", "_")
    try:
        return _ENTRIES[key]
    except KeyError:
        raise UnknownModelError(name, names()) from None


#: ``zoo.list()``: the names of the built-in networks (as ``torch.hub.list``).
list = names  # shadows the builtin in this module only, hence defined last
