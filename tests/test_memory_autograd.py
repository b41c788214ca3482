"""Brute force: the bytes torch autograd actually keeps for backward (counted with
``torch.autograd.graph.saved_tensors_hooks`` on an eager GPT-style model equal to the spec,
each storage once, parameters left out) equal ``memory(...).activations`` (fp32, no dropout:
on CPU torch keeps a dropout mask in the input's dtype, not as 1-byte booleans)."""

from __future__ import annotations

import math

import pytest

import symcost as sc

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.norm_1, self.norm_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        B, T, d = x.shape
        H, Dh = self.heads, d // self.heads
        y = self.norm_1(x)
        q, k, v = (p(y).view(B, T, H, Dh).transpose(1, 2) for p in (self.q, self.k, self.v))
        mask = torch.full((T, T), float("-inf")).triu(1)        # additive: keeps nothing
        probs = torch.softmax(q @ k.transpose(-2, -1) * (1 / math.sqrt(Dh)) + mask, dim=-1)
        x = x + self.o((probs @ v).transpose(1, 2).reshape(B, T, d))
        return x + self.fc2(F.gelu(self.fc1(self.norm_2(x))))


class GPT(nn.Module):
    def __init__(self, layers, d, heads, vocab, positions):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(positions, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(d)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe.weight[: ids.shape[1]]
        for block in self.blocks:
            x = block(x)
        return F.linear(self.norm(x), self.wte.weight)            # tied lm_head


def saved_bytes(model, ids) -> int:
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    kept: dict[int, int] = {}

    def pack(t):
        storage = t.untyped_storage()
        if storage.data_ptr() not in params:
            kept[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(ids)
    out.sum().backward()
    return sum(kept.values())


@pytest.mark.parametrize("layers,d,heads,B,T", [(2, 16, 4, 3, 5), (1, 24, 2, 2, 7)])
def test_autograd_keeps_what_memory_says(layers, d, heads, B, T):
    torch.manual_seed(0)
    vocab, positions = 11, 16
    model = GPT(layers, d, heads, vocab, positions)
    ids = torch.randint(0, vocab, (B, T))
    spec = sc.zoo.decoder_lm(layers, d, heads, 4 * d, vocab, max_positions=positions)
    Bs, Ts = sc.dims("B T")
    m = spec.memory(sc.Shape(N=Bs, L=Ts), precision="fp32")
    assert m.evaluate(B=B, T=T)["activations"] == saved_bytes(model, ids)


def _random_pair(rng, d: int):
    """A random stack of token-wise layers as a symcost spec and the equal torch model."""
    specs, mods, width = [], [], d
    for i in range(rng.randint(2, 6)):
        # the first layer holds weights, as a model's does (see the xfail below)
        pick = "linear" if i == 0 else rng.choice(
            ["linear", "relu", "gelu", "silu", "tanh", "sigmoid", "layer_norm", "softmax"])
        if pick == "linear":
            out, bias = rng.randint(3, 12), rng.random() < 0.5
            specs.append(sc.Linear(in_features=width, out_features=out, bias=bias))
            mods.append(nn.Linear(width, out, bias=bias))
            width = out
        elif pick == "layer_norm":
            specs.append(sc.LayerNorm(normalized_shape=width))
            mods.append(nn.LayerNorm(width))
        elif pick == "softmax":
            specs.append(sc.Softmax(dim=-1))
            mods.append(nn.Softmax(dim=-1))
        else:
            cls = {"relu": "ReLU", "gelu": "GELU", "silu": "SiLU", "tanh": "Tanh",
                   "sigmoid": "Sigmoid"}[pick]
            specs.append(getattr(sc, cls)())
            mods.append(getattr(nn, cls)())
    return sc.Sequential(specs), nn.Sequential(*mods)


#: Seeds whose networks memory() overcounts: it does not yet share a tensor saved by two
#: consecutive ops (ReLU keeps its output, which GELU keeps again as its input; torch stores
#: it once), issue 15. They flip to passing when it does (strict xfail).
_OVERCOUNTED = {1, 2, 4, 5, 8, 10, 11}


@pytest.mark.parametrize("seed", [
    pytest.param(s, marks=pytest.mark.xfail(strict=True, reason="a tensor two consecutive "
                                            "ops save is counted twice (issue 15)"))
    if s in _OVERCOUNTED else s for s in range(12)])
def test_random_token_networks_keep_what_memory_says(seed):
    """Random stacks of Linear, activations, norms and softmax on a sequence: the bytes
    autograd keeps (the input needs no gradient, as a model's input) equal memory()."""
    import random

    rng = random.Random(seed)
    d, B, T = rng.randint(3, 10), rng.randint(1, 3), rng.randint(1, 6)
    spec, model = _random_pair(rng, d)
    x = torch.randn(B, T, d)
    Bs, Ts = sc.dims("B T")
    m = spec.memory(sc.Shape(N=Bs, L=Ts, D=d), precision="fp32")
    assert m.evaluate(B=B, T=T)["activations"] == saved_bytes(model, x), spec


@pytest.mark.xfail(strict=True, reason="memory() gaps found by this brute force, issue 15: "
                   "an op on the network's input (which needs no gradient) saves nothing in "
                   "torch but is counted; torch 2.13's nn.RMSNorm keeps one more full tensor "
                   "after a layer that needs gradients (216 vs 312 bytes at 2×3×4) and the "
                   "statistics are not kept when its input needs none (120 vs 96)")
@pytest.mark.parametrize("first", ["relu", "rms_norm_first", "rms_norm_after"])
def test_memory_gaps_against_autograd(first):
    Bs, Ts = sc.dims("B T")
    lin = (sc.Linear(in_features=4, out_features=4), nn.Linear(4, 4))
    layer = {"relu": (sc.ReLU(), nn.ReLU()),
             "rms_norm_first": (sc.RMSNorm(normalized_shape=4), nn.RMSNorm(4)),
             "rms_norm_after": (sc.RMSNorm(normalized_shape=4), nn.RMSNorm(4))}[first]
    pairs = [lin, layer] if first == "rms_norm_after" else [layer, lin]
    spec = sc.Sequential([p[0] for p in pairs])
    model = nn.Sequential(*(p[1] for p in pairs))
    m = spec.memory(sc.Shape(N=Bs, L=Ts, D=4), precision="fp32")
    assert m.evaluate(B=2, T=3)["activations"] == saved_bytes(model, torch.randn(2, 3, 4))
