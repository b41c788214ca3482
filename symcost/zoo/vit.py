"""Vision Transformer (Dosovitskiy et al. 2021) as torchvision builds it
(``torchvision.models.vit_b_16``, ``vit_l_16``: ``VisionTransformer`` with the paper's
configurations: patch 16, ViT-B 12 layers of width 768, 12 heads, MLP 3072; ViT-L 24 layers
of width 1024, 16 heads, MLP 4096; 1000 classes).

``conv_proj`` (a 16×16 convolution of stride 16), ``flatten`` (to a sequence of
(H/16)·(W/16) patches), ``class_token`` (one learned token prepended), ``encoder``
(``pos_embedding``, ``layers`` — a Repeat of pre-norm blocks ``ln_1``,
``self_attention`` (torch's ``nn.MultiheadAttention``: in_proj = ``q_proj``, ``k_proj``,
``v_proj``; ``out_proj``), ``ln_2``, ``mlp`` — and ``ln``), ``class_select`` (the class
token's state) and ``heads.head``.

The position table has one row per patch plus one, so it fixes the image size: torchvision
refuses any other. The builders take ``image_size`` (224 by default, the published model);
it may be a symbol, which sizes the table with it. The zoo entry builds with the symbol
``H`` (a multiple of 16) and its input is the square image ``Shape(C=3, H=H, W=H)``, so its
closed form is in H and holds at every size torchvision accepts (``image_size=H`` there):

Attention is ``fused`` (torch's ``nn.MultiheadAttention`` calls scaled_dot_product_attention):
FlopCounterMode counts its core on the meta device and on GPUs (4·B·H·N²·Dh per layer) but
not on CPU, where the ``torch`` preset's figure is its count with grad enabled.

>>> import symcost as sc
>>> entry = sc.zoo.get("vit_b_16")
>>> entry.build().cost(entry.input(), "macs").evaluate(H=224).params
86567656
"""

from __future__ import annotations

from typing import Any

from ..containers import Sequential
from ..dims import dim
from ..layers.attention import MultiheadAttention
from ..layers.conv import Conv2d
from ..layers.custom import Custom
from ..layers.embedding import PositionalEmbedding
from ..layers.linear import Linear
from ..layers.mlp import MLP
from ..layers.norm import LayerNorm
from ..layers.reshape import Rearrange
from ..shapes import Shape
from .transformer_blocks import stack, transformer_block

__all__ = ["MODELS", "vision_transformer", "vit_b_16", "vit_l_16", "square_input",
           "symbolic_vit_b_16", "symbolic_vit_l_16"]


def vision_transformer(*, image_size: Any, patch_size, num_layers, num_heads, hidden_dim,
                       mlp_dim, num_classes=1000, name: str = "vit") -> Sequential:
    """torchvision's ``VisionTransformer`` (no representation layer); sizes may be symbols."""
    d = hidden_dim
    patches = (image_size // patch_size) ** 2 if isinstance(image_size, int) else \
        (image_size / patch_size) ** 2
    block = transformer_block([
        ("ln_1", LayerNorm(normalized_shape=d), [
            ("self_attention", MultiheadAttention(embed_dim=d, num_heads=num_heads,
                                                  fused=True))]),
        ("ln_2", LayerNorm(normalized_shape=d), [("mlp", MLP(d_model=d, d_ff=mlp_dim))]),
    ], name="encoder_layer_0")
    encoder = Sequential(name="encoder", layers=(
        PositionalEmbedding(num_positions=patches + 1, embedding_dim=d, name="pos_embedding"),
        stack(block, num_layers, name="layers"),
        LayerNorm(normalized_shape=d, name="ln")))
    return Sequential(name=name, layers=(
        Conv2d(in_channels=3, out_channels=d, kernel_size=patch_size, stride=patch_size,
               name="conv_proj"),
        Rearrange(pattern="N D h w -> N (h w) D", name="flatten"),
        Custom(name="class_token", label="class token prepended", counts={},
               output={"hw": "hw + 1"}, params=d,
               backward_counts={"add": "N*D"}),  # the token's gradient, summed
        encoder,
        Custom(name="class_select", label="state of the class token", counts={},
               output={"hw": 1}, backward_counts={}),
        Sequential(name="heads", layers=(
            Linear(in_features=d, out_features=num_classes, name="head"),))))


def vit_b_16(*, image_size: Any = 224, num_classes: int = 1000) -> Sequential:
    """ViT-B/16: 12 layers, width 768, 12 heads, MLP 3072 (torchvision ``vit_b_16``)."""
    return vision_transformer(image_size=image_size, patch_size=16, num_layers=12,
                              num_heads=12, hidden_dim=768, mlp_dim=3072,
                              num_classes=num_classes, name="vit_b_16")


def vit_l_16(*, image_size: Any = 224, num_classes: int = 1000) -> Sequential:
    """ViT-L/16: 24 layers, width 1024, 16 heads, MLP 4096 (torchvision ``vit_l_16``)."""
    return vision_transformer(image_size=image_size, patch_size=16, num_layers=24,
                              num_heads=16, hidden_dim=1024, mlp_dim=4096,
                              num_classes=num_classes, name="vit_l_16")


def _side() -> Any:
    return dim("H", multiple_of=16)


def square_input(multiple: bool = True) -> Shape:
    """The ViT entries' input: a square image ``Shape(C=3, H=H, W=H)``, H a multiple of
    16 (the table's size follows it; ``multiple`` is ignored: torchvision takes no other)."""
    side = _side()
    return Shape(C=3, H=side, W=side)


def symbolic_vit_b_16(*, num_classes: int = 1000) -> Sequential:
    """ViT-B/16 (torchvision ``vit_b_16``) with its position table sized by the symbol H."""
    return vit_b_16(image_size=_side(), num_classes=num_classes)


def symbolic_vit_l_16(*, num_classes: int = 1000) -> Sequential:
    """ViT-L/16 (torchvision ``vit_l_16``) with its position table sized by the symbol H."""
    return vit_l_16(image_size=_side(), num_classes=num_classes)


#: The builders registered in the zoo (by the published names, vit_b_16 and vit_l_16).
MODELS = ((vit_b_16, symbolic_vit_b_16), (vit_l_16, symbolic_vit_l_16))
