"""A brute-force counter, independent of symcost's formulas.

Each function walks every output position and every window tap with plain loops, deciding
output sizes by enumerating the window positions that fit — never by the closed-form
floor/ceil rules — and counts the primitive operations a direct implementation performs.
Only small sizes are feasible; that is all the tests need.
"""

from __future__ import annotations


def window_starts(size: int, kernel: int, stride: int, padding: int, dilation: int,
                  ceil_mode: bool = False) -> list[int]:
    """Start offsets (in padded coordinates) of the windows torch evaluates along an axis.

    Floor mode keeps windows that lie inside the padded input. Ceil mode also keeps a window
    that overhangs the padded input by less than one stride, provided it starts inside the
    input or the left padding (torch's pooling rule, stated as a walk over start offsets).
    """
    padded = size + 2 * padding
    extent = dilation * (kernel - 1) + 1
    starts = []
    s = 0
    while True:
        fits = s + extent <= padded
        overhang_ok = ceil_mode and s + extent < padded + stride and s < size + padding
        if not (fits or overhang_ok):
            break
        starts.append(s)
        s += stride
    return starts


def conv2d(n, c_in, h, w, c_out, k, stride=1, padding=0, dilation=1, groups=1, bias=False):
    """Count a direct grouped convolution: returns dict of op counts and output size."""
    hs = window_starts(h, k, stride, padding, dilation)
    ws = window_starts(w, k, stride, padding, dilation)
    mac = dot = add_bias = 0
    per_group_in = c_in // groups
    for _ in range(n):
        for _co in range(c_out):
            for _y in hs:
                for _x in ws:
                    dot += 1
                    for _ci in range(per_group_in):
                        for _ky in range(k):
                            for _kx in range(k):
                                mac += 1
                    if bias:
                        add_bias += 1
    return {"mac": mac, "dot": dot, "bias": add_bias, "H": len(hs), "W": len(ws)}


def conv_transpose2d(n, c_in, h, w, c_out, k, stride=1, groups=1):
    """Count a scatter-style transposed convolution (each input times each weight)."""
    mac = 0
    out_h = (h - 1) * stride + k
    for _ in range(n):
        for _ci in range(c_in):
            for _y in range(h):
                for _x in range(w):
                    for _co in range(c_out // groups):
                        for _ky in range(k):
                            for _kx in range(k):
                                mac += 1
    return {"mac": mac, "H": out_h}


def pool2d(n, c, h, w, k, stride, padding=0, ceil_mode=False, kind="max"):
    """Count window reductions: n-1 compares (max) or n-1 adds + 1 div (avg) per window."""
    hs = window_starts(h, k, stride, padding, 1, ceil_mode)
    ws = window_starts(w, k, stride, padding, 1, ceil_mode)
    cmp = add = div = 0
    for _ in range(n * c):
        for _y in hs:
            for _x in ws:
                taps = k * k
                if kind == "max":
                    cmp += taps - 1
                else:
                    add += taps - 1
                    div += 1
    return {"cmp": cmp, "add": add, "div": div, "H": len(hs), "W": len(ws)}


def linear(rows, fin, fout, bias):
    """Count a matrix-vector product per row."""
    mac = dot = b = 0
    for _ in range(rows):
        for _o in range(fout):
            dot += 1
            for _i in range(fin):
                mac += 1
            b += 1 if bias else 0
    return {"mac": mac, "dot": dot, "bias": b}
