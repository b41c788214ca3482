"""The one explicit union of every spec kind, layers and containers alike.

A new layer kind is added here by hand (no runtime discovery); ``tests/test_spec.py``
checks that every concrete subclass of ``Layer`` is a member.
"""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field, TypeAdapter

from .containers import Graph, GraphNode, Parallel, Repeat, Residual, Sequential
from .layers.activation import (
    ELU,
    GELU,
    Hardsigmoid,
    Hardswish,
    LeakyReLU,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
)
from .layers.attention import MultiheadAttention, ScaledDotProductAttention
from .layers.base import Spec
from .layers.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose2d,
    DepthwiseConv2d,
    PointwiseConv2d,
    SeparableConv2d,
)
from .layers.custom import Custom
from .layers.embedding import Embedding, PositionalEmbedding, RotaryEmbedding
from .layers.linear import Linear
from .layers.merge import Add, Concat, MatMul, Mul
from .layers.mlp import MLP, GatedMLP, MoE
from .layers.norm import BatchNorm2d, LayerNorm, LayerNorm2d, RMSNorm
from .layers.pool import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    GlobalAvgPool2d,
    GlobalMaxPool2d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
)
from .layers.resample import Upsample
from .layers.reshape import (
    ChannelChunk,
    ChannelShuffle,
    Dropout,
    Flatten,
    Identity,
    Permute,
    Rearrange,
    Reshape,
    StochasticDepth,
)
from .layers.scale import LayerScale
from .validation import register_kinds

__all__ = ["AnyLayer", "GraphOp", "LAYER_TYPES", "CONTAINER_TYPES", "MERGE_TYPES",
           "kind_classes", "spec_adapter"]

LAYER_TYPES = (
    Conv1d, Conv2d, Conv3d, ConvTranspose2d, DepthwiseConv2d, PointwiseConv2d,
    SeparableConv2d,
    MaxPool1d, MaxPool2d, MaxPool3d, AvgPool1d, AvgPool2d, AvgPool3d, GlobalAvgPool2d,
    GlobalMaxPool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d,
    ReLU, ReLU6, LeakyReLU, PReLU, ELU, Sigmoid, Tanh, SiLU, Hardswish, Hardsigmoid, GELU,
    Softmax, Linear, BatchNorm2d, LayerNorm, LayerNorm2d, LayerScale, Flatten, Identity,
    Dropout, StochasticDepth, ChannelShuffle, ChannelChunk, Permute, Reshape, Rearrange,
    Upsample, Custom,
    Embedding, PositionalEmbedding, RotaryEmbedding, RMSNorm, MultiheadAttention, MLP,
    GatedMLP, MoE,
)
CONTAINER_TYPES = (Sequential, Residual, Parallel, Repeat, Graph)
MERGE_TYPES = (Add, Mul, Concat, MatMul, ScaledDotProductAttention)

# The unions are spelled from the tuples above, so a kind is listed in exactly one place.
AnyLayer = Annotated[
    Union[(*LAYER_TYPES, *CONTAINER_TYPES)],  # type: ignore[valid-type]  # from the tuples
    Field(discriminator="kind"),
]

#: What a :class:`~symcost.containers.GraphNode` applies: any spec, or a merge of several inputs.
GraphOp = Annotated[
    Union[(*LAYER_TYPES, *CONTAINER_TYPES, *MERGE_TYPES)],  # type: ignore[valid-type]
    Field(discriminator="kind"),
]

_NAMESPACE = {"AnyLayer": AnyLayer, "GraphOp": GraphOp}
GraphNode.model_rebuild(_types_namespace=_NAMESPACE)
for _cls in (*CONTAINER_TYPES, MoE):
    _cls.model_rebuild(_types_namespace=_NAMESPACE)


def kind_classes() -> dict[str, type[Spec]]:
    """Every spec class by its kind tag."""
    return {cls.model_fields["kind"].default: cls
            for cls in (*LAYER_TYPES, *CONTAINER_TYPES, *MERGE_TYPES)}


register_kinds(kind_classes())

_ADAPTER: TypeAdapter = TypeAdapter(AnyLayer)


def spec_adapter() -> TypeAdapter:
    """The pydantic adapter that validates and serialises any spec (``AnyLayer``)."""
    return _ADAPTER
