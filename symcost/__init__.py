"""symcost: exact, closed-form cost formulas for neural-network layers and networks.

>>> import symcost as sc
>>> C_in, C_out, K, H, W = sc.dims("C_in C_out K H W")
>>> x = sc.Shape(C=C_in, H=H, W=W)
>>> regular = sc.Conv2d(in_channels=C_in, out_channels=C_out, kernel_size=K, padding="same")
>>> separable = sc.SeparableConv2d(in_channels=C_in, out_channels=C_out, kernel_size=K,
...                                padding="same")
>>> sc.ratio(regular.cost(x).macs, separable.cost(x).macs)
C_out*K**2/(C_out + K**2)
"""

from __future__ import annotations

from .errors import (
    CensusError, ConventionError, ConstraintError, DimensionError, ShapeMismatchError,
    SpecError, SpecFileError, SymcostError, SymcostWarning, TorchImportError,
    UnboundDimensionError,
    UnknownConventionError, UnknownModelError,
)
from .dims import dim, dims, parse
from .shapes import Shape
from .counts import OpCounts
from .conventions import Convention, Pricing, convention_names, get_convention
from .cost import Cost, CostValues
from .algebra import counterexample, equivalent, ratio
from .layers.activation import (
    ELU, GELU, Hardsigmoid, Hardswish, LeakyReLU, PReLU, ReLU, ReLU6, Sigmoid, SiLU, Softmax,
    Tanh,
)
from .layers.conv import (
    Conv1d, Conv2d, Conv3d, ConvTranspose2d, DepthwiseConv2d, PointwiseConv2d, SeparableConv2d,
)
from .layers.attention import MultiheadAttention, ScaledDotProductAttention, kept_pairs
from .layers.custom import Custom
from .layers.embedding import Embedding, PositionalEmbedding, RotaryEmbedding
from .layers.linear import Linear
from .layers.merge import Add, Concat, MatMul, Mul
from .layers.mlp import MLP, GatedMLP, MoE
from .layers.norm import BatchNorm2d, LayerNorm, LayerNorm2d, RMSNorm
from .layers.pool import (
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, AvgPool3d, GlobalAvgPool2d,
    GlobalMaxPool2d, MaxPool1d, MaxPool2d, MaxPool3d,
)
from .layers.reshape import (
    ChannelChunk, ChannelShuffle, Dropout, Flatten, Identity, Permute, Rearrange, Reshape,
    StochasticDepth,
)
from .layers.scale import LayerScale
from .layers.resample import Upsample
from .containers import Graph, GraphNode, Parallel, Repeat, Residual, Sequential
from .results import NetworkCost
from .spec import AnyLayer
from .io import dump, load, load_document, load_spec, spec_from_json, spec_to_json
from .compare import compare_conventions
from .importers import from_torch
from . import zoo
from .fold import fold_batchnorm, fold_bn_conv, fold_conv_bn, fold_proof

__version__ = "0.1.0"

__all__ = [
    # errors
    "SymcostError", "SymcostWarning", "DimensionError", "SpecError", "ShapeMismatchError",
    "ConstraintError",
    "UnboundDimensionError", "UnknownConventionError", "UnknownModelError", "SpecFileError",
    "TorchImportError", "ConventionError", "CensusError",
    # dimensions, shapes, counting, pricing
    "dim", "dims", "parse", "Shape", "OpCounts", "Convention", "Pricing", "get_convention",
    "convention_names", "Cost", "CostValues", "ratio", "equivalent", "counterexample",
    # layers
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d", "DepthwiseConv2d", "PointwiseConv2d",
    "SeparableConv2d", "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d",
    "AvgPool3d", "GlobalAvgPool2d", "GlobalMaxPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
    "ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "Sigmoid", "Tanh", "SiLU", "Hardswish",
    "Hardsigmoid", "GELU", "Softmax", "Linear", "BatchNorm2d", "LayerNorm", "LayerNorm2d",
    "LayerScale", "Add", "Mul", "Concat", "MatMul", "Flatten", "Identity", "Dropout",
    "StochasticDepth", "ChannelShuffle", "ChannelChunk", "Permute", "Reshape", "Rearrange",
    "Upsample", "Custom",
    # sequences and attention
    "Embedding", "PositionalEmbedding", "RotaryEmbedding", "RMSNorm", "MultiheadAttention",
    "ScaledDotProductAttention", "MLP", "GatedMLP", "MoE", "kept_pairs",
    # networks
    "Sequential", "Residual", "Parallel", "Repeat", "Graph", "GraphNode", "NetworkCost",
    "AnyLayer",
    # documents and the zoo
    "spec_to_json", "spec_from_json", "load_spec", "zoo", "from_torch",
    "compare_conventions",
    # BatchNorm folding
    "fold_proof", "fold_batchnorm", "fold_conv_bn", "fold_bn_conv",
    # spec files (JSON/YAML documents)
    "load", "dump", "load_document",
    # hardware, roofline latency, solving and asymptotics
    "hardware", "roofline", "solve_max", "crossover", "leading_term", "big_o",
]


#: Loaded on first use (``sc.hardware``, ``sc.solve_max``): they are not needed to price a
#: network, and importing them eagerly put ``import symcost`` over its 0.3 s budget
#: (benchmarks/bench_import.py).
_LAZY = {"hardware": "hardware", "roofline": "roofline", "solve_max": "solve",
         "crossover": "solve", "leading_term": "solve", "big_o": "solve"}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'symcost' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(f".{_LAZY[name]}", __name__)
    value = module if _LAZY[name] == name else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Only the public names (the submodules stay importable: ``symcost.report``)."""
    return sorted([*__all__, "__version__"])
