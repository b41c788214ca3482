"""torchvision for the tests, beside the CPU build of torch 2.13.0 that the ``torch`` extra pins.

PyPI's torchvision 0.28.0 (the release made for torch 2.13.0; extra ``vision``) is built
against torch's CUDA build: its C++ extension links ``libtorch_cuda``, so it does not load
beside the CPU wheel, and ``import torchvision`` then stops at its fake-tensor registration of
``torchvision::nms`` ("operator torchvision::nms does not exist"). The classification models
are pure Python and never call those ops, so :func:`import_torchvision` declares the schemas
of the two ops that torchvision registers unconditionally (``nms``, ``qnms``) and imports it
again. Detection ops stay unusable (they raise when called); nothing here is declared when the
extension loads (a CPU build of torchvision, or a CUDA torch).
"""

from __future__ import annotations

import importlib.util
import sys

import pytest

#: The schemas the extension would have defined, as torchvision's own C++ declares them.
_SCHEMAS = ("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
            "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
_LIBRARY = []  # keeps the declaration alive for the process


def import_torchvision():
    """The ``torchvision`` module, or None when it is not installed."""
    if importlib.util.find_spec("torchvision") is None:
        return None
    try:
        import torchvision
    except RuntimeError as exc:
        if "torchvision::" not in str(exc):
            raise
        import torch

        library = torch.library.Library("torchvision", "DEF")
        for schema in _SCHEMAS:
            library.define(schema)
        _LIBRARY.append(library)
        for name in [n for n in sys.modules if n.split(".")[0] == "torchvision"]:
            del sys.modules[name]  # the failed first import left half-made modules
        import torchvision
    return torchvision


def torchvision_models():
    """``torchvision.models``, or skip the test when torchvision is not installed."""
    tv = import_torchvision()
    if tv is None:
        pytest.skip("torchvision not installed (extra 'vision': pip install -e '.[vision]', "
                    "torchvision 0.28.0 for the pinned torch 2.13.0)")
    return tv.models
