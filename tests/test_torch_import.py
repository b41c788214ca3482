"""symcost.from_torch against PyTorch itself and against the peer counters.

Independent checks: torch.utils.flop_counter.FlopCounterMode (exact equality of the
``torch`` preset at three input sizes, two of them not multiples of the total stride);
fvcore, ptflops (aten backend) and thop when installed; the real parameters of the module.
"""

import functools
import json
import re

import pytest
import sympy

torch = pytest.importorskip("torch", reason="from_torch tests need torch (extra 'torch')")

import symcost as sc  # noqa: E402

from .peer_tools import PEER_TOOLS, fcm_flops, require_tool  # noqa: E402
from .torch_models import Block, FunctionalNet, ModuleNet, PyramidNet, ResNet50  # noqa: E402
from .torchvision_compat import torchvision_models  # noqa: E402

nn = torch.nn
X = sc.Shape(N="N", C=3, H="H", W="W")
#: (N, H, W): 32 is a multiple of every stride here, 37×45 and 61×50 are not
SIZES = [(2, 32, 32), (1, 37, 45), (3, 61, 50)]
MODELS = {"modules": ModuleNet, "functional": FunctionalNet, "pyramid": PyramidNet}


@pytest.fixture(scope="module")
def imported():
    out = {}
    for name, cls in MODELS.items():
        torch.manual_seed(0)
        model = cls().eval()
        out[name] = (model, sc.from_torch(model, X))
    return out


def _fcm(model, n, h, w):
    return _fcm_shape(model, (n, 3, h, w))


@pytest.mark.parametrize("name", MODELS)
def test_torch_preset_equals_flop_counter_mode_at_three_sizes(imported, name):
    model, graph = imported[name]
    cost = graph.cost(X, "torch")
    assert cost.uncosted == []
    for n, h, w in SIZES:
        assert cost.evaluate(N=n, H=h, W=w).flops == _fcm(model, n, h, w), (n, h, w)


def test_formula_is_symbolic_in_the_named_dims(imported):
    total = imported["modules"][1].cost(X, "torch").total
    assert {s.name for s in total.flops.free_symbols} == {"N", "H", "W"}


@pytest.mark.parametrize("name", MODELS)
def test_params_equal_the_modules_real_parameters(imported, name):
    model, graph = imported[name]
    real = sum(p.numel() for p in model.parameters())
    assert graph.cost(X).total.params == real


def test_breakdown_names_are_module_paths_and_shared_modules_count_twice(imported):
    _, graph = imported["modules"]
    rows = {r.path: r for r in graph.cost(X, "torch").rows}
    for path in ("stem", "block.conv1", "block.conv1@1", "acts.1", "fc", "block.add",
                 "block@1.add"):
        assert path in rows, path
    once = rows["block.conv1"].cost.flops
    assert rows["block.conv1@1"].cost.flops == once != 0
    # the second call shares the weights: counted in compute, not in params
    assert rows["block.conv1@1"].cost.params == 0 and rows["block.conv1"].cost.params > 0


def test_functional_calls_and_operators_are_tagged_by_source(imported):
    _, graph = imported["functional"]
    nodes = {n.name: n for n in graph.nodes}
    assert nodes["conv_a"].source == "module"
    assert nodes["relu"].source == "function"
    assert nodes["sigmoid@2"].source == "method"          # y.sigmoid()
    assert nodes["mul"].source == nodes["add"].source == "operator"
    assert nodes["mul@1"].op.counts is not None           # (…) * 0.5: one mul per element
    kinds = {n.op.kind for n in graph.nodes}
    assert {"concat", "mul", "add", "matmul", "softmax", "upsample", "linear"} <= kinds


def test_imported_graph_round_trips_through_json(imported):
    _, graph = imported["functional"]
    doc = sc.load_document(sc.dump(graph, input=X))
    again, shape = doc.network, doc.input
    assert again == graph
    assert again.cost(shape, "torch").total.equals(graph.cost(X, "torch").total)


# --------------------------------------------------------------------- coverage and errors


class _WithUnmapped(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.GroupNorm(2, 8)          # no symcost layer: uncosted
        self.head = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        y = self.norm(self.conv(x))
        y = torch.roll(y, 1, dims=2)             # a function without mapping
        tokens = y.flatten(2)                     # rank 3: N×C×(H·W), mapped
        y = tokens.reshape(y.shape)               # back to 4-D, with the traced sizes
        return self.head(y)


def test_unmapped_ops_are_listed_never_silent_zero():
    model = _WithUnmapped().eval()
    cost = sc.from_torch(model, X).cost(X, "torch")
    listed = dict(cost.uncosted)
    assert "norm" in listed and "GroupNorm" in listed["norm"]
    assert "roll" in listed and len(listed) == 2
    # tensors of rank 3 are shaped: the flatten and the reshape back are mapped moves
    kinds = {r.path: r.kind for r in cost.rows}
    assert kinds["flatten"] == "flatten" and kinds["reshape"] == "reshape"
    # mapped layers before and after are still costed
    rows = {r.path: r for r in cost.rows}
    assert rows["head"].cost.flops != 0 and rows["conv"].cost.flops != 0
    # params still agree: the unmapped module carries its own; the total says it is partial
    with pytest.warns(sc.SymcostWarning, match="INCOMPLETE"):
        assert cost.total.params == sum(p.numel() for p in model.parameters())
    assert "UNCOSTED norm" in cost.to_text()


def test_strict_raises_with_every_unmapped_op():
    with pytest.raises(sc.TorchImportError) as err:
        sc.from_torch(_WithUnmapped().eval(), X, strict=True)
    text = str(err.value)
    assert "norm (torch.nn.modules.normalization.GroupNorm)" in text and "roll" in text


class _Untraceable(nn.Module):
    def forward(self, x):
        return x.relu() if x.sum() > 0 else x


def test_untraceable_model_raises_a_clear_error():
    with pytest.raises(sc.TorchImportError, match=r"torch\.fx cannot trace _Untraceable.*"
                       r"leaf_modules"):
        sc.from_torch(_Untraceable(), X)


def test_leaf_modules_keep_a_block_opaque():
    model = nn.Sequential(nn.Conv2d(3, 16, 3), Block(16))
    cost = sc.from_torch(model, X, leaf_modules=(Block,)).cost(X, "torch")
    assert [p for p, _ in cost.uncosted] == ["1"]


def test_input_must_be_a_shape():
    with pytest.raises(sc.TorchImportError, match=r"symcost\.Shape"):
        sc.from_torch(nn.ReLU(), (1, 3, 32, 32))


def test_a_bad_sample_size_is_reported():
    model = nn.Sequential(nn.Conv2d(3, 8, 7), nn.AdaptiveAvgPool2d(3))
    with pytest.raises(sc.TorchImportError, match="sample"):
        sc.from_torch(model, X, sample={"H": 4, "W": 4})


# --------------------------------------------------------------------- ResNet-50


def test_resnet50_matches_flop_counter_mode_and_published_figures():
    torch.manual_seed(0)
    model = ResNet50().eval()
    x = sc.Shape(N=1, C=3, H="H", W="W")
    cost = sc.from_torch(model, x).cost(x, "torch")
    assert cost.uncosted == []
    # torchvision's documented ResNet-50: 25,557,032 params, 4.09 GFLOPS (= GMACs) at 224²
    # (torchvision model docs, as copied into tests by the core issue)
    assert cost.total.params == 25_557_032
    assert round(cost.evaluate(H=224, W=224).macs / 1e9, 2) == 4.09
    for h, w in ((64, 64), (65, 97)):
        assert cost.evaluate(H=h, W=w).flops == _fcm(model, 1, h, w)
    # the README recipe: multiples of the total stride remove every floor
    H, W = sc.dim("H", multiple_of=32), sc.dim("W", multiple_of=32)
    x32 = sc.Shape(N=1, C=3, H=H, W=W)
    imported = sc.from_torch(model, x32)
    flops = imported.cost(x32, "torch").total.flops
    assert (flops - (162912 * H * W + 4096000)).expand() == 0
    assert flops.subs({H: 224, W: 224}) == 8178368512 == _fcm(model, 1, 224, 224)
    # at depth 1 its ~200 node rows group by module path into the zoo's tree, figure for figure
    from symcost.report import table_rows

    mine, _ = table_rows(imported.cost(x32, "macs"), 1)
    theirs, _ = table_rows(sc.zoo.resnet50().cost(sc.Shape(C=3, H=H, W=W), "macs"), 1)
    assert [r.path for r in mine] == [r.path for r in theirs]
    assert [str(r.values["macs"]) for r in mine] == [str(r.values["macs"]) for r in theirs]
    assert next(r for r in mine if r.path == "layer1").note == "32 nodes"


# --------------------------------------------------------------------- peer tools


PEERS = {name: PEER_TOOLS[name] for name in ("fvcore", "ptflops", "thop")}


@pytest.mark.parametrize("preset", PEERS)
@pytest.mark.parametrize("name", MODELS)
def test_peer_preset_equals_the_peer_tool(imported, preset, name):
    package, run = PEERS[preset]
    require_tool(package)
    model, graph = imported[name]
    cost = graph.cost(X, preset)
    for n, h, w in SIZES[:2]:
        with torch.no_grad():
            expected = run(model, torch.randn(n, 3, h, w))
        assert cost.evaluate(N=n, H=h, W=w).macs == expected, (preset, n, h, w)


@pytest.mark.parametrize("preset", ["torch", *PEERS])
def test_linear_on_feature_maps_matches_every_tool(preset):
    # a Linear on the last axis (W) of a map: ptflops counts its bias (torch folds it to addmm)
    if preset != "torch":
        require_tool(preset)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Linear(16, 8), nn.ReLU()).eval()
    x = sc.Shape(N="N", C=3, H="H", W=16)
    cost = sc.from_torch(model, x).cost(x, preset)
    for n, h in ((2, 10), (1, 13)):
        got = cost.evaluate(N=n, H=h)
        if preset == "torch":
            assert got.flops == _fcm_shape(model, (n, 3, h, 16))
        else:
            with torch.no_grad():
                assert got.macs == PEERS[preset][1](model, torch.randn(n, 3, h, 16))


def _fcm_shape(model, shape):
    return fcm_flops(model, torch.randn(*shape))


class _LayerNorm2d(nn.LayerNorm):
    """torchvision's ConvNeXt ``LayerNorm2d``: a subclass of nn.LayerNorm that normalises the
    channels of a map through a channels-last ``F.layer_norm``."""

    def forward(self, x):
        x = torch.nn.functional.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape,
                                           self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class _NormsAndPoolHeads(nn.Module):
    """The two rules ConvNeXt, AlexNet and VGG found wrong: LayerNorm in its four spellings
    (fvcore prices aten::layer_norm; thop hooks nn.LayerNorm itself but not a subclass), and
    adaptive average pooling whose windows overlap (7 → 3, then 3 → 6: thop divides sizes)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 4, stride=4)
        self.norm2d = _LayerNorm2d(8, eps=1e-6)
        self.ln = nn.LayerNorm(8)
        self.ln_no_affine = nn.LayerNorm(8, elementwise_affine=False)
        self.ln_no_bias = nn.LayerNorm(8, bias=False)
        self.cells3 = nn.AdaptiveAvgPool2d(3)
        self.cells6 = nn.AdaptiveAvgPool2d(6)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = self.norm2d(self.stem(x)).permute(0, 2, 3, 1)
        x = torch.nn.functional.layer_norm(self.ln_no_bias(self.ln_no_affine(self.ln(x))), (8,))
        x = self.cells6(self.cells3(x.permute(0, 3, 1, 2)))
        return self.fc(torch.flatten(self.gap(x), 1))


@pytest.mark.parametrize("preset", ["torch", *PEERS])
def test_layer_norms_and_overlapping_adaptive_pools_match_every_tool(preset):
    package, run = PEER_TOOLS[preset]
    require_tool(package)
    torch.manual_seed(0)
    model = _NormsAndPoolHeads().eval()
    cost = sc.from_torch(model, X, sample={"H": 29, "W": 37}).cost(X, preset)
    assert cost.uncosted == []
    # maps of 7×9 and 9×11 after the stem: neither is a multiple of 3 or of 6
    for n, h, w in ((2, 29, 37), (1, 37, 45)):
        got = cost.evaluate(N=n, H=h, W=w)
        expected = run(model, torch.randn(n, 3, h, w))
        assert (got.flops if preset == "torch" else got.macs) == expected, (preset, n, h, w)


# --------------------------------------------------------------------- explaining presets


def test_compare_conventions_explains_the_whole_difference(imported):
    _, graph = imported["modules"]
    diff = sc.compare_conventions(graph, X, "fvcore", "torch")
    assert (diff.metric_a, diff.metric_b) == ("macs", "flops")
    explained = sum((r.value_a - r.value_b for r in diff.rows), 0)
    assert (explained - (diff.total_a - diff.total_b)).expand() == 0
    kinds = {r.kind: r for r in diff.rows}
    assert "batchnorm2d" in kinds and "inputs" in kinds["batchnorm2d"].rule_a
    assert kinds["batchnorm2d"].rule_b == "0"  # torch's norm family: explicitly free
    thop = sc.compare_conventions(graph, X, "thop", "fvcore")
    convt = {r.kind: r for r in thop.rows}["conv_transpose2d"]
    assert "output-centric" in convt.rule_a
    assert "conv_transpose2d" in str(thop)
    at = diff.at(N=2, H=32, W=32)
    assert at.total_b == _fcm(imported["modules"][0], 2, 32, 32)
    assert at.total_a - at.total_b == sum(r.value_a - r.value_b for r in at.rows)
    assert "conv2d ×" in str(at)


class _Functional(nn.Module):
    """Weights read with get_attr: a learned scale and an F.conv2d (both mapped)."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1, 3, 1, 1))
        self.weight = nn.Parameter(torch.randn(4, 3, 3, 3))

    def forward(self, x):
        return torch.nn.functional.conv2d(x * self.scale, self.weight)


def test_parameters_read_with_get_attr_are_counted_once():
    model = _Functional()
    cost = sc.from_torch(model, X).cost(X, "seed")
    assert cost.total.params == 3 + 4 * 3 * 3 * 3
    assert cost.uncosted == []  # F.conv2d with its weight read by get_attr is a Conv2d
    # seed prices element-wise ops: the scale multiplies each of the 3·8·8 elements once;
    # the 3×3 conv gives 4×6×6 outputs of 27 MACs each (counted by hand)
    assert cost.evaluate(N=1, H=8, W=8).flops == 3 * 8 * 8 + 4 * 6 * 6 * 27
    torch_cost = sc.from_torch(model, X).cost(X, "torch")
    assert torch_cost.evaluate(N=2, H=8, W=9).flops == _fcm(model, 2, 8, 9)


# --------------------------------------------------------------------- torchvision


def test_torchvision_models_import_and_match_flop_counter_mode():
    tv = torchvision_models()
    x = sc.Shape(N=1, C=3, H="H", W="W")
    for build in (tv.resnet18, tv.mobilenet_v2, tv.shufflenet_v2_x0_5):
        model = build().eval()
        cost = sc.from_torch(model, x).cost(x, "torch")
        assert cost.total.params == sum(p.numel() for p in model.parameters())
        for h in (224, 193):
            assert cost.evaluate(H=h, W=h).flops == _fcm(model, 1, h, h)


class _PixelShuffle(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.head = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        return self.head(torch.nn.functional.pixel_shuffle(self.conv(x), 2))


def test_unmapped_op_that_resizes_says_its_shape_holds_only_at_the_sample():
    cost = sc.from_torch(_PixelShuffle(), X, sample={"H": 20, "W": 24}).cost(X, "torch")
    (path, reason), = cost.uncosted
    assert path == "pixel_shuffle" and "fixed at the sample size" in reason
    # at the sample size the rest of the network is still right
    with pytest.warns(sc.SymcostWarning, match="pixel_shuffle"):
        assert cost.evaluate(N=2, H=20, W=24).flops == _fcm(_PixelShuffle(), 2, 20, 24)


def _zoo_torchvision_names() -> list[str]:
    """Zoo entries built after a torchvision builder of the same name."""
    return [e.name for e in sc.zoo.list_models() if e.name.split("_full")[0] not in
            ("mobilenet_v1", "separable_vs_regular") and e.architecture == "cnn"]


@pytest.mark.slow
@pytest.mark.parametrize("name", _zoo_torchvision_names())
def test_every_zoo_model_imported_from_torchvision_equals_its_closed_form(name):
    """Two independent derivations of one number: the zoo's hand-built spec and the importer's
    trace of torchvision's own module, both with symbolic H and W, agree on parameters and on
    MACs at sizes that are and are not multiples of the total stride."""
    tv = torchvision_models()
    kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    model = getattr(tv, name)(**kwargs).eval()
    x = sc.Shape(N=1, C=3, H="H", W="W")
    imported = sc.from_torch(model, x).cost(x, "macs")
    entry = sc.zoo.get(name)
    zoo = entry.build().cost(entry.input(multiple=False), "macs")
    assert imported.uncosted == []
    assert imported.total.params == zoo.total.params == sum(p.numel()
                                                            for p in model.parameters())
    for h, w in ((224, 224), (193, 257), (320, 288)):
        # totals only: evaluating every row of both breakdowns doubled the test's time
        mine, theirs = imported.total.evaluate(H=h, W=w), zoo.total.evaluate(H=h, W=w)
        assert mine.macs == theirs.macs, (h, w)


class _ChannelsLastNorm(nn.Module):
    """ConvNeXt's pattern without torchvision: permute to channels-last, LayerNorm (as a module
    and as ``F.layer_norm``), pointwise Linear, permute back."""

    def __init__(self, c=8):
        super().__init__()
        self.ln = nn.LayerNorm(c)
        self.w = nn.Parameter(torch.ones(c))
        self.b = nn.Parameter(torch.zeros(c))
        self.fc = nn.Linear(c, 2 * c)

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = torch.nn.functional.layer_norm(self.ln(x), (x.shape[-1],), self.w, self.b)
        return torch.permute(self.fc(x), (0, 3, 1, 2))


def test_permute_and_layer_norm_map_to_the_channels_last_specs():
    """The imported graph costs what the same network spelled with symcost's own specs costs
    (two LayerNorm2d-equivalents and a pointwise conv), and owns the module's real parameters."""
    model = _ChannelsLastNorm().eval()
    x = sc.Shape(N=1, C=8, H="H", W="W")
    imported = sc.from_torch(model, x).cost(x, "flops")
    assert imported.uncosted == []
    assert imported.total.params == sum(p.numel() for p in model.parameters())
    spelled = sc.Sequential(layers=[
        sc.LayerNorm2d(num_channels=8), sc.LayerNorm2d(num_channels=8),
        sc.Conv2d(in_channels=8, out_channels=16, kernel_size=1)]).cost(x, "flops")
    assert sympy.expand(imported.total.flops - spelled.total.flops) == 0
    assert imported.total.params == spelled.total.params


# ------------------------------------------------------------- tensors of any rank


def _sequence_net():
    return nn.Sequential(nn.LayerNorm(16), nn.Linear(16, 32), nn.GELU(), nn.Dropout(0.1),
                         nn.Linear(32, 16), nn.Softmax(dim=-1)).eval()


def _conv1d_net():
    return nn.Sequential(nn.Conv1d(4, 8, 3, padding=1), nn.BatchNorm1d(8), nn.ReLU(),
                         nn.MaxPool1d(2), nn.Conv1d(8, 8, 3, stride=2, groups=2),
                         nn.AvgPool1d(3, stride=1, padding=1), nn.AdaptiveAvgPool1d(1),
                         nn.Flatten(), nn.Linear(8, 3)).eval()


def _conv3d_net():
    return nn.Sequential(nn.Conv3d(3, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU(),
                         nn.MaxPool3d(2, ceil_mode=True), nn.AvgPool3d(2),
                         nn.Conv3d(4, 6, (1, 3, 3), padding=(0, 1, 1), bias=False)).eval()


RANKED = {
    # (model, symbolic input, torch input shapes at two sizes)
    "sequence": (_sequence_net, sc.Shape(N="B", L="T", D=16), [(2, 7, 16), (3, 5, 16)]),
    "conv1d": (_conv1d_net, sc.Shape(N="N", C=4, L="L"), [(2, 37, None), (1, 50, None)]),
    "conv3d": (_conv3d_net, sc.Shape(N=1, C=3, T="T", H="H", W="W"),
               [(1, 3, 8, 8, 9), (1, 3, 9, 10, 12)]),
}


@functools.cache
def _ranked(name):
    """The model and its import, once for every preset."""
    make, x, _ = RANKED[name]
    model = make()
    return model, sc.from_torch(model, x)


def _ranked_input(name, sizes):
    if name == "conv1d":
        n, length, _ = sizes
        return (n, 4, length)
    return sizes


def _ranked_values(x: sc.Shape, shape) -> dict:
    return {str(s): v for s, v in zip(x.sizes, shape) if not s.is_Integer}


@pytest.mark.parametrize("preset", ["torch", *PEERS])
@pytest.mark.parametrize("name", RANKED)
def test_tensors_of_any_rank_match_every_tool(name, preset):
    """Conv1d/Conv3d, 1-D and 3-D pools, BatchNorm1d/3d and a sequence MLP, imported with
    from_torch, against FlopCounterMode and the peer tools at two sizes each."""
    if preset != "torch":
        require_tool(PEERS[preset][0])
    model, graph = _ranked(name)
    x, sizes = RANKED[name][1:]
    cost = graph.cost(x, preset)
    assert cost.uncosted == []
    for sample in sizes:
        shape = _ranked_input(name, sample)
        got = cost.evaluate(**_ranked_values(x, shape))
        if preset == "torch":
            assert got.flops == _fcm_shape(model, shape), shape
        else:
            with torch.no_grad():
                assert got.macs == PEERS[preset][1](model, torch.randn(*shape)), shape


def test_a_root_conv_or_linear_is_costed():
    # a bare module is traced into F.conv2d / F.linear, which map like the modules
    for model, x in ((nn.Conv2d(3, 8, 3), X), (nn.Linear(16, 4), sc.Shape(N="N", C=16))):
        cost = sc.from_torch(model, x).cost(x, "torch")
        assert cost.uncosted == [] and cost.total.params == sum(
            p.numel() for p in model.parameters())
    cost = sc.from_torch(nn.Conv2d(3, 8, 3), X).cost(X, "torch")
    assert cost.evaluate(N=2, H=11, W=13).flops == _fcm(nn.Conv2d(3, 8, 3), 2, 11, 13)


class _Tokens(nn.Module):
    """Patches to tokens, then an op without a mapping that changes the rank (unsqueeze),
    with shape plumbing around it."""

    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, 8, 4, stride=4)
        self.fc = nn.Linear(8, 8)
        self.norm = nn.LayerNorm(8)
        self.head = nn.Linear(8, 10)

    def forward(self, x):
        n, _c, h, w = x.shape
        torch._assert(h == w, "square inputs only")
        t = self.patch(x).flatten(2).transpose(1, 2).unsqueeze(1)
        torch._assert(t.dim() == 4, "tokens")
        torch._assert(t.size(0) == n, "batch")
        return self.head(self.norm(self.fc(t)).mean(1))


def test_uncosted_nodes_name_the_true_reason_and_shape_plumbing_is_free():
    cost = sc.from_torch(_Tokens().eval(), X).cost(X, "torch")
    listed = dict(cost.uncosted)
    # getattr(x, "shape"), _assert, dim() and size() compute nothing: never uncosted
    assert not [p for p in listed if p.split(".")[-1].rstrip("_0123456789") in
                ("getattr", "assert", "dim", "size")], listed
    # the mean's output has the rank of the last shaped tensor again: read from the sample,
    # so the head after it is costed (at the sample sizes)
    assert set(listed) == {"unsqueeze", "fc", "norm", "mean"}
    # the mapped Linear is blamed on the tensor it reads, not on a missing mapping
    reason = "4-D tensors after `unsqueeze` (another rank than its input)"
    assert listed["fc"].startswith(f"{reason} — torch.nn.modules.linear")
    assert "no symcost mapping" not in listed["fc"]
    data = json.loads(cost.to_json())
    assert data["incomplete"] is True
    assert data["uncosted_groups"][0]["reason"] == reason
    assert data["uncosted_groups"][0]["count"] == 4
    with pytest.warns(sc.SymcostWarning, match=re.escape(f"{reason}: 4 nodes")):
        values = cost.evaluate(N=1, H=32, W=32)
    label = "total (INCOMPLETE: 4 uncosted)"
    for shown in (cost, values):  # every format, symbolic and evaluated
        assert label in shown.to_text() and label in shown.to_markdown()
        assert label in shown.to_latex() and label in shown._repr_html_()
        assert label in shown.to_csv() and json.loads(shown.to_json())["incomplete"]
        assert "INCOMPLETE" in shown.to_latex_macros()



class _Transposed(nn.Module):
    def forward(self, x):
        return x.flatten(1).T.relu()


def test_an_attribute_that_computes_is_not_shape_plumbing():
    # x.T is traced as getattr(x, "T"): a transpose, listed, and the relu after it costed
    cost = sc.from_torch(_Transposed(), X).cost(X, "flops")
    assert [p for p, _ in cost.uncosted] == ["getattr"]
    relu = next(r for r in cost.rows if r.kind == "relu")
    assert relu.cost.flops != 0


def test_the_torch_under_test_is_in_the_extras_range():
    """The 'torch' extra is a range, not a pin; these tests run on a torch inside it."""
    from pathlib import Path

    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11")
    from packaging.requirements import Requirement
    from packaging.version import Version

    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml")
                            .read_text())["project"]
    (torch_req,) = [Requirement(r) for r in project["optional-dependencies"]["torch"]]
    assert torch_req.name == "torch" and not str(torch_req.specifier).startswith("==")
    assert Version(torch.__version__.split("+")[0]) in torch_req.specifier
