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


class Counted:
    """A float that counts the arithmetic done with it (in a shared ``tally``)."""

    def __init__(self, value: float, tally: dict) -> None:
        self.value, self.tally = value, tally

    def _op(self, name: str, value: float) -> Counted:
        self.tally[name] = self.tally.get(name, 0) + 1
        return Counted(value, self.tally)

    def _v(self, other):
        return other.value if isinstance(other, Counted) else other

    def __add__(self, other):
        return self._op("add", self.value + self._v(other))

    def __sub__(self, other):
        return self._op("add", self.value - self._v(other))

    def __mul__(self, other):
        return self._op("mul", self.value * self._v(other))

    def __truediv__(self, other):
        return self._op("div", self.value / self._v(other))

    def __rtruediv__(self, other):
        return self._op("div", self._v(other) / self.value)

    def sqrt(self):
        return self._op("sqrt", self.value ** 0.5)


def layer_norm(rows: list[list[float]], weight=None, bias=None, eps=1e-5):
    """Normalise each row the direct way with counting numbers: returns (outputs, tally).

    mean = Σx/n; d = x − mean; var = Σd²/n; r = 1/√(var + ε); y = d·r (·w + b).
    """
    tally: dict = {}
    outputs = []
    for row in rows:
        xs = [Counted(x, tally) for x in row]
        n = len(xs)
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        mean = total / n
        d = [x - mean for x in xs]
        squares = [v * v for v in d]
        acc = squares[0]
        for s in squares[1:]:
            acc = acc + s
        r = 1 / ((acc / n) + eps).sqrt()
        y = [v * r for v in d]
        if weight is not None:
            y = [v * w for v, w in zip(y, weight)]
        if bias is not None:
            y = [v + b for v, b in zip(y, bias)]
        outputs.append([v.value for v in y])
    return outputs, tally


def adaptive_window_rows(n: int, m: int) -> list[list[int]]:
    """Input rows each of m adaptive-pooling cells reads along an axis of n: the rows whose
    unit interval [r, r + 1) overlaps the cell's share [i·n/m, (i + 1)·n/m) of the axis."""
    from fractions import Fraction

    cells = []
    for i in range(m):
        lo, hi = Fraction(i * n, m), Fraction((i + 1) * n, m)
        cells.append([r for r in range(n) if r < hi and r + 1 > lo])
    return cells
