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
