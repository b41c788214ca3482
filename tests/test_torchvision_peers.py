"""Every peer preset against its tool, on every torchvision classification model.

For each model that ``torchvision.models.list_models(module=torchvision.models)`` lists
(random weights, eval mode, nothing downloaded): one ``sc.from_torch`` import with symbolic H
and W, its closed form under ``fvcore``, ``ptflops``, ``thop`` and ``torch`` evaluated at an
odd size (113×113, batch 1: 113 is prime, so no stride divides it), and each compared exactly
with what the tool itself counts on the module for a tensor of that size (fvcore
``FlopCountAnalysis``, ptflops' aten backend, thop ``profile``, torch's ``FlopCounterMode``),
each tool run once. The sweep is ``slow`` (``python -m pytest -m slow``; CI runs it);
ConvNeXt-T (LayerNorm in its blocks, torchvision's LayerNorm2d elsewhere) runs by default,
and tests/test_torch_import.py checks the same rules on a small module.

Transformers (ViT, Swin, MaxViT) carry tokens (N×L×D) and windows. ``nn.MultiheadAttention``
and ViT's class token now import, but the fx tracer still meets ops without a mapping (ViT's
``x[:, 0]``, Swin's ``shifted_window_attention``, MaxViT's ``einsum``), so they import with
uncosted operations and are marked xfail for that reason only: as soon as they import fully,
the same exact comparison applies. Their closed forms are in the zoo (``sc.zoo.vit_b_16``).
"""

import warnings

import pytest

torch = pytest.importorskip("torch", reason="from_torch tests need torch (extra 'torch')")

import symcost as sc  # noqa: E402

from .peer_tools import PEER_TOOLS, require_tool  # noqa: E402
from .torchvision_compat import import_torchvision, torchvision_models  # noqa: E402

#: H = W for every model that accepts any size; prime, so it is no multiple of any stride
SIZE = 113
#: families whose tensors symcost cannot shape yet (see the module docstring)
NOT_MAPS = ("vit_", "swin_", "maxvit_")
X = sc.Shape(N=1, C=3, H="H", W="W")


@pytest.fixture(scope="module", autouse=True)
def _one_thread_float32():
    """One intra-op thread: at 113×113 most ops are small and a second thread mostly waits
    (on a busy 2-core machine the sweep took 9 minutes with two threads, 3 with one); counts
    do not depend on it. float32, as torchvision builds its models (Swin V2 mixes a float32
    table with weights of the default dtype)."""
    threads, dtype = torch.get_num_threads(), torch.get_default_dtype()
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    yield
    torch.set_num_threads(threads)
    torch.set_default_dtype(dtype)


def _names() -> list[str]:
    tv = import_torchvision()
    if tv is None:
        return ["(torchvision not installed)"]
    return tv.models.list_models(module=tv.models)


def _build(models, name: str):
    """The model with random weights, in eval mode, and the input size it takes."""
    kwargs, size = {}, SIZE
    if name.startswith("vit_"):
        size = 7 * int(name.rsplit("_", 1)[1])      # ViT takes only its image_size
        kwargs = {"image_size": size}
    elif name.startswith("maxvit_"):
        size = 224                                    # its partitions need 224
    torch.manual_seed(0)
    with warnings.catch_warnings():                   # GoogLeNet/Inception's init notice
        warnings.simplefilter("ignore", FutureWarning)
        return models.get_model(name, weights=None, **kwargs).eval(), size


def _check_every_preset(name: str) -> None:
    models = torchvision_models()
    for package, _ in PEER_TOOLS.values():
        require_tool(package)
    model, size = _build(models, name)
    graph = sc.from_torch(model, X, sample={"H": size, "W": size})
    costs = {preset: graph.cost(X, preset) for preset in PEER_TOOLS}
    uncosted = costs["torch"].uncosted
    if uncosted and name.startswith(NOT_MAPS):
        pytest.xfail(f"{len(uncosted)} uncosted operations, first {uncosted[0][0]} (fx sees "
                     "ViT's x[:, 0], Swin's shifted_window_attention and MaxViT's einsum "
                     "without a mapping; the torch.export importer takes them: issue 14)")
    assert uncosted == [], uncosted
    x = torch.randn(1, 3, size, size)
    differ = {}
    with torch.no_grad():
        for preset, (_, run) in PEER_TOOLS.items():
            total = costs[preset].total.evaluate(H=size, W=size)
            mine = total.flops if preset == "torch" else total.macs
            theirs = run(model, x)
            if mine != theirs:
                differ[preset] = (mine, theirs)
    assert differ == {}, f"{name} at {size}×{size}: (symcost, tool) {differ}"


def test_presets_equal_their_tools_on_convnext_tiny():
    _check_every_preset("convnext_tiny")


@pytest.mark.slow
@pytest.mark.parametrize("name", _names())
def test_presets_equal_their_tools_on_every_torchvision_classifier(name):
    _check_every_preset(name)
