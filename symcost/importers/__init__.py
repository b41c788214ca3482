"""Importers: build symcost specs from models written in other frameworks.

Each importer lives in its own module and imports its framework lazily, so ``import
symcost`` never needs it. :func:`from_torch` (extra ``torch``) reads a ``torch.nn.Module``.
"""

from __future__ import annotations

from .pytorch import from_torch

__all__ = ["from_torch"]
