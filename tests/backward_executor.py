"""A brute-force backward executor: computes the gradients of a few layer kinds on counting
numbers (:class:`tests.executor.Num`), independently of symcost's backward rules.

Each function takes the layer, the input values and the output gradient, runs the forward in
plain floats (not counted), then the chain rule written out directly on ``Num`` values, and
returns the input gradient, the weight gradients and a reference computed by torch's autograd
(so the executor itself is proven right). The algorithms are the ones
:mod:`symcost.backward` describes: a dot product per Linear input gradient, per weight and per
attention score; a convolution's input gradient scattered (each product accumulated once);
bias and LayerNorm weight gradients accumulated from zero (one add per element); the softmax's
y·(g − Σ g·y).
"""

from __future__ import annotations

import numpy as np

from tests.executor import Num, dot, num_array, total, values_of


def linear(layer, x, g, rng, t, *, input_grad=True, weight_grad=True):
    fin, fout = int(layer.in_features), int(layer.out_features)
    w = rng.standard_normal((fout, fin))
    rows_x, rows_g = x.reshape(-1, fin), num_array(g.reshape(-1, fout), t)
    gx = gw = gb = None
    if input_grad:
        gx = np.array([[dot(list(rows_g[r]), list(w[:, i]), t) for i in range(fin)]
                       for r in range(len(rows_x))], dtype=object)
    if weight_grad:
        gw = np.array([[dot(list(rows_x[:, i]), list(rows_g[:, o]), t) for i in range(fin)]
                       for o in range(fout)], dtype=object)
        if layer.bias:
            gb = [total([0.0, *rows_g[:, o]]) for o in range(fout)]

    def ref(torch):
        xt = torch.tensor(x, requires_grad=True)
        wt = torch.tensor(w, requires_grad=True)
        bt = torch.zeros(fout, dtype=torch.float64, requires_grad=True)
        torch.nn.functional.linear(xt, wt, bt).backward(torch.tensor(g))
        return xt.grad.numpy().reshape(-1, fin), wt.grad.numpy(), bt.grad.numpy()
    return (gx, gw, gb), ref


def conv2d(layer, x, g, rng, t, *, input_grad=True, weight_grad=True):
    n, cin, h, wd = x.shape
    cout, k, s, p, groups = (int(layer.out_channels), int(layer.kernel_size),
                             int(layer.stride), int(layer.padding), int(layer.groups))
    cg, og = cin // groups, cout // groups
    w = rng.standard_normal((cout, cg, k, k))
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    gn = num_array(g, t)
    _, _, ho, wo = g.shape
    gx = gw = gb = None
    if input_grad:
        acc = np.zeros(xp.shape, dtype=object)
        with t.mode("scatter"):
            for b, co, i, j in np.ndindex(n, cout, ho, wo):
                grp = co // og
                for ci, di, dj in np.ndindex(cg, k, k):
                    idx = (b, grp * cg + ci, i * s + di, j * s + dj)
                    acc[idx] = acc[idx] + gn[b, co, i, j] * w[co, ci, di, dj]
        gx = acc[:, :, p:p + h, p:p + wd]
    if weight_grad:
        gw = np.empty(w.shape, dtype=object)
        for co, ci, di, dj in np.ndindex(*w.shape):
            grp = co // og
            xs = [xp[b, grp * cg + ci, i * s + di, j * s + dj]
                  for b, i, j in np.ndindex(n, ho, wo)]
            gs = [gn[b, co, i, j] for b, i, j in np.ndindex(n, ho, wo)]
            gw[co, ci, di, dj] = dot(xs, gs, t)
        if layer.bias:
            gb = [total([0.0, *gn[:, co].ravel()]) for co in range(cout)]

    def ref(torch):
        xt = torch.tensor(x, requires_grad=True)
        wt = torch.tensor(w, requires_grad=True)
        bt = torch.zeros(cout, dtype=torch.float64, requires_grad=True)
        torch.nn.functional.conv2d(xt, wt, bt, stride=s, padding=p, groups=groups).backward(
            torch.tensor(g))
        return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()
    return (gx, gw, gb), ref


def relu(layer, x, g, rng, t, **_):
    gx = np.empty(x.shape, dtype=object)
    for idx, v in np.ndenumerate(x):
        gx[idx] = g[idx] if Num(v, t) > 0 else 0.0

    def ref(torch):
        xt = torch.tensor(x, requires_grad=True)
        torch.relu(xt).backward(torch.tensor(g))
        return (xt.grad.numpy(),)
    return (gx,), ref


def softmax(layer, x, g, rng, t, **_):
    y = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    gn = num_array(g, t)
    gx = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(x.shape[:-1]):
        gy = [gi * yi for gi, yi in zip(gn[idx], y[idx])]
        s = total(gy)
        gx[idx] = np.array([yi * (gi - s) for gi, yi in zip(gn[idx], y[idx])], dtype=object)

    def ref(torch):
        xt = torch.tensor(x, requires_grad=True)
        torch.softmax(xt, -1).backward(torch.tensor(g))
        return (xt.grad.numpy(),)
    return (gx,), ref


def layer_norm(layer, x, g, rng, t, *, input_grad=True, weight_grad=True):
    n = x.shape[-1]
    gamma, eps = rng.standard_normal(n), 1e-5
    mean = x.mean(-1, keepdims=True)
    rstd = 1 / np.sqrt(((x - mean) ** 2).mean(-1, keepdims=True) + eps)
    xhat = (x - mean) * rstd
    gn = num_array(g, t)
    gx = ggamma = gbeta = None
    if input_grad:
        gx = np.empty(x.shape, dtype=object)
        for idx in np.ndindex(x.shape[:-1]):
            a = [gi * wi for gi, wi in zip(gn[idx], gamma)]
            m1 = total(a) / n
            m2 = total(ai * hi for ai, hi in zip(a, xhat[idx])) / n
            gx[idx] = np.array([(ai - m1 - hi * m2) * rstd[idx][0]
                                for ai, hi in zip(a, xhat[idx])], dtype=object)
    if weight_grad:
        rows = [idx for idx in np.ndindex(x.shape[:-1])]
        ggamma = [total([0.0, *(gn[r][i] * xhat[r][i] for r in rows)]) for i in range(n)]
        gbeta = [total([0.0, *(gn[r][i] for r in rows)]) for i in range(n)]

    def ref(torch):
        xt = torch.tensor(x, requires_grad=True)
        wt = torch.tensor(gamma, requires_grad=True)
        bt = torch.zeros(n, dtype=torch.float64, requires_grad=True)
        torch.nn.functional.layer_norm(xt, (n,), wt, bt, eps=eps).backward(torch.tensor(g))
        return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()
    return (gx, ggamma, gbeta), ref


def attention(layer, q, k, v, g, t):
    """The backward of softmax(QKᵀ/√Dh [masked])·V for one (batch, head) slice per index;
    q (B, H, T, Dh), k and v (B, H, S, D), ``layer`` a ScaledDotProductAttention whose mask
    is 'none' or 'causal' (the kept pairs written from the definition)."""
    b_, h_, tq, dh = q.shape
    s_ = k.shape[2]
    scale = 1 / np.sqrt(dh)

    def kept(i, j):
        return layer.mask == "none" or j <= i

    gn = num_array(g, t)
    gq, gk, gv = (np.empty(a.shape, dtype=object) for a in (q, k, v))
    for b, h in np.ndindex(b_, h_):
        keys = {i: [j for j in range(s_) if kept(i, j)] for i in range(tq)}
        p = {}
        for i in range(tq):
            sc = np.array([q[b, h, i] @ k[b, h, j] * scale for j in keys[i]])
            e = np.exp(sc)
            p.update({(i, j): e[n] / e.sum() for n, j in enumerate(keys[i])})
        ds = {}
        for i in range(tq):
            dp = {j: dot(list(gn[b, h, i]), list(v[b, h, j]), t) for j in keys[i]}
            gy = [dp[j] * p[i, j] for j in keys[i]]
            s = total(gy)
            for j in keys[i]:
                ds[i, j] = p[i, j] * (dp[j] - s) * scale
        for j, f in np.ndindex(s_, v.shape[-1]):
            qs = [i for i in range(tq) if kept(i, j)]
            gv[b, h, j, f] = dot([p[i, j] for i in qs], [gn[b, h, i, f] for i in qs], t)
        for i, f in np.ndindex(tq, dh):
            gq[b, h, i, f] = dot([ds[i, j] for j in keys[i]], [k[b, h, j, f] for j in keys[i]],
                                 t)
        for j, f in np.ndindex(s_, dh):
            qs = [i for i in range(tq) if kept(i, j)]
            gk[b, h, j, f] = dot([ds[i, j] for i in qs], [q[b, h, i, f] for i in qs], t)

    def ref(torch):
        qt, kt, vt = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
        torch.nn.functional.scaled_dot_product_attention(
            qt, kt, vt, is_causal=layer.mask == "causal").backward(torch.tensor(g))
        return qt.grad.numpy(), kt.grad.numpy(), vt.grad.numpy()
    return (gq, gk, gv), ref


def check_against_torch(grads, ref) -> None:
    """The executor's gradients equal torch autograd's (float64)."""
    torch = __import__("pytest").importorskip("torch")
    for mine, theirs in zip(grads, ref(torch)):
        if mine is None:
            continue
        np.testing.assert_allclose(values_of(np.array(mine, dtype=object)).reshape(theirs.shape),
                                   theirs, rtol=1e-9, atol=1e-9)
