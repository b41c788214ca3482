"""The peer counters, each called the way its documentation shows, on one input tensor.

Each returns the tool's headline figure for ``model(x)``: MACs for fvcore, ptflops (aten
backend) and thop, FLOPs for torch's FlopCounterMode. Used by tests/test_torch_import.py and
tests/test_torchvision_peers.py.
"""

import contextlib
import io
import warnings

import pytest

from .torchvision_compat import import_torchvision


def require_tool(package: str):
    """Import a peer tool's package, or skip the test when it is not installed.

    ptflops imports ``torchvision.ops`` when torchvision is installed (catching only
    ImportError), so torchvision is imported first, through :mod:`tests.torchvision_compat`.
    """
    if package == "ptflops":
        import_torchvision()
    return pytest.importorskip(package, reason=f"{package} not installed (extra 'peers')")


def fvcore_macs(model, x):
    """fvcore ``FlopCountAnalysis(model, (x,)).total()`` (its "flops" are MACs)."""
    from fvcore.nn import FlopCountAnalysis

    analysis = FlopCountAnalysis(model, (x,))
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analysis.total()


def ptflops_macs(model, x):
    """ptflops ``get_model_complexity_info(..., backend='aten')``, the whole batch."""
    from ptflops import get_model_complexity_info

    with contextlib.redirect_stdout(io.StringIO()):
        macs, _ = get_model_complexity_info(model, tuple(x.shape[1:]),
                                            input_constructor=lambda _: x, as_strings=False,
                                            backend="aten", print_per_layer_stat=False)
    return macs


def thop_macs(model, x):
    """thop ``profile(model, inputs=(x,))``; it sums float64 values, which must be integers."""
    from thop import profile

    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        macs, _ = profile(model, inputs=(x,), verbose=False)
    assert float(macs).is_integer(), f"thop returned a fractional count {macs!r}"
    return int(macs)


def fcm_flops(model, x):
    """``torch.utils.flop_counter.FlopCounterMode``'s ``get_total_flops()``."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops()


#: preset -> (the package it needs, the runner); FlopCounterMode ships with torch
PEER_TOOLS = {"fvcore": ("fvcore", fvcore_macs), "ptflops": ("ptflops", ptflops_macs),
              "thop": ("thop", thop_macs), "torch": ("torch", fcm_flops)}
