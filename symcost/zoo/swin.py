"""Swin Transformer (Liu et al. 2021) as torchvision builds it (``torchvision.models.swin_t``:
``SwinTransformer`` with patch 4, embed_dim 96, depths (2, 2, 6, 2), heads (3, 6, 12, 24),
window 7×7, 1000 classes).

Channels-last throughout, as torchvision: ``features.0`` (a 4×4/4 convolution, permute,
LayerNorm), then stages ``features.1``, ``.3``, ``.5``, ``.7`` of blocks — a Repeat each —
with ``features.2``, ``.4``, ``.6`` the patch mergings (2×2 neighbours concatenated:
``norm`` LayerNorm(4C), ``reduction`` Linear(4C, 2C) without bias); ``norm``, ``permute``,
``avgpool``, ``flatten``, ``head``. A block is pre-norm: ``norm1``, ``attn``, ``norm2``,
``mlp``. ``attn`` partitions the map into 7×7 windows (``partition``, free), holds the
relative position bias table ((2·7 − 1)² × heads parameters, and the 49² index buffer),
runs multi-head attention on each window (``window_attention``: qkv and proj with bias, the
bias added to every score) and merges the windows back (``merge``).

The shifted windows of every other block are a roll of the map and an additive mask: free,
so both kinds of block cost the same and a stage is one Repeat. Sizes: the closed form
holds when every stage's side is a multiple of the window, i.e. H and W multiples of 224
(torchvision pads other sizes to the window, which this build does not model); the entry's
input declares that.

>>> import symcost as sc
>>> entry = sc.zoo.get("swin_t")
>>> entry.build().cost(entry.input(), "macs").total.params
28288354
"""

from __future__ import annotations

from ..containers import Sequential
from ..dims import dim
from ..layers.attention import MultiheadAttention
from ..layers.conv import Conv2d
from ..layers.custom import Custom
from ..layers.linear import Linear
from ..layers.mlp import MLP
from ..layers.norm import LayerNorm
from ..layers.pool import AdaptiveAvgPool2d
from ..layers.reshape import Flatten, Permute, Rearrange
from ..shapes import Shape
from .transformer_blocks import stack, transformer_block

__all__ = ["MODELS", "swin_transformer", "swin_t", "window_input"]

def _block(dim_, heads, window: int):
    attn = Sequential(layers=(
        Rearrange(pattern="N (H wh) (W ww) C -> N H W (wh ww) C",
                  sizes={"wh": window, "ww": window}, name="partition"),
        Custom(name="relative_position_bias_table", label="relative position bias table",
               counts={}, params=(2 * window - 1) ** 2 * heads, buffers=window**4,
               backward_counts={}),  # its gradient: the attention's position-bias adds
        MultiheadAttention(embed_dim=dim_, num_heads=heads, position_bias=True,
                           name="window_attention"),
        Rearrange(pattern="N H W (wh ww) C -> N (H wh) (W ww) C", sizes={"wh": window},
                  name="merge")))
    return transformer_block([
        ("norm1", LayerNorm(normalized_shape=dim_), [("attn", attn)]),
        ("norm2", LayerNorm(normalized_shape=dim_), [("mlp", MLP(d_model=dim_,
                                                                 d_ff=4 * dim_))]),
    ])


def _merging(dim_) -> Sequential:
    return Sequential(layers=(
        Rearrange(pattern="N (H a) (W b) C -> N H W (b a C)", sizes={"a": 2, "b": 2},
                  name="gather"),
        LayerNorm(normalized_shape=4 * dim_, name="norm"),
        Linear(in_features=4 * dim_, out_features=2 * dim_, bias=False, name="reduction")))


def swin_transformer(*, patch_size=4, embed_dim=96, depths=(2, 2, 6, 2),
                     num_heads=(3, 6, 12, 24), window_size=7, num_classes=1000,
                     name: str = "swin") -> Sequential:
    """torchvision's ``SwinTransformer`` (v1) of the given configuration."""
    features: list = [Sequential(layers=(
        Conv2d(in_channels=3, out_channels=embed_dim, kernel_size=patch_size,
               stride=patch_size, name="0"),
        Permute(dims=(0, 2, 3, 1), name="1"),
        LayerNorm(normalized_shape=embed_dim, name="2")))]
    d = embed_dim
    for i, (depth, heads) in enumerate(zip(depths, num_heads)):
        features.append(stack(_block(d, heads, window_size), depth, name=str(len(features))))
        if i < len(depths) - 1:
            merging = _merging(d)
            features.append(merging.model_copy(update={"name": str(len(features))}))
            d *= 2
    named = [f if f.name else f.model_copy(update={"name": str(j)})
             for j, f in enumerate(features)]
    return Sequential(name=name, layers=(
        Sequential(name="features", layers=tuple(named)),
        LayerNorm(normalized_shape=d, name="norm"),
        Permute(dims=(0, 3, 1, 2), name="permute"),
        AdaptiveAvgPool2d(output_size=1, name="avgpool"),
        Flatten(name="flatten"),
        Linear(in_features=d, out_features=num_classes, name="head")))


def swin_t(*, num_classes: int = 1000) -> Sequential:
    """Swin-T: embed_dim 96, depths (2, 2, 6, 2), heads (3, 6, 12, 24), window 7."""
    return swin_transformer(num_classes=num_classes, name="swin_t")


def window_input(multiple: bool = True) -> Shape:
    """Swin's input: ``Shape(C=3, H=H, W=W)`` with H and W multiples of 224 (every stage a
    whole number of 7×7 windows; ``multiple`` is ignored: other sizes pad)."""
    return Shape(C=3, H=dim("H", multiple_of=224), W=dim("W", multiple_of=224))


#: The builders registered in the zoo by name.
MODELS = (swin_t,)
