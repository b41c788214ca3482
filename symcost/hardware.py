"""Hardware: immutable accelerator specs for roofline estimates (:mod:`symcost.roofline`).

A :class:`Hardware` holds peak dense FLOP/s per dtype (2:4-sparse peaks separately), memory
bandwidth in bytes/s and memory capacity in bytes, all exact sympy numbers (a datasheet's
"989.5 TFLOPS" is ``Rational(9895, 10) * 10**12``, never a float), and the source it was read
from. :func:`get` looks a preset up by name, :func:`load` reads a user spec from JSON or YAML
(bounded and validated like network documents) and :func:`measure_cpu` times this machine.

>>> import symcost as sc
>>> h100 = sc.hardware.get("h100-sxm5")
>>> h100.peak("bf16"), h100.bandwidth
(989500000000000, 3350000000000)
>>> h100.ridge("bf16")                      # FLOP per byte where compute starts to bind
19790/67

Dense peaks of NVIDIA parts are half the datasheet's "with sparsity" figure, which is the
one NVIDIA prints; memory sizes are the datasheets' decimal gigabytes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import sympy

from .errors import SpecFileError, SymcostError, did_you_mean

__all__ = ["Hardware", "DTYPES", "DTYPE_BYTES", "get", "names", "presets", "load",
           "measure_cpu", "exact_number"]

#: Bytes per element of each dtype a peak may be given for.
DTYPE_BYTES: Mapping[str, int] = MappingProxyType({
    "fp64": 8, "fp32": 4, "tf32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1})
DTYPES: tuple[str, ...] = tuple(DTYPE_BYTES)

_T = 10**12
_G = 10**9


def exact_number(value: Any, what: str) -> sympy.Rational:
    """A positive exact number from an int, a decimal string (``"989.5e12"``), a Fraction, a
    sympy Rational or a float (read as the decimal it prints, ``0.7`` → 7/10)."""
    from fractions import Fraction

    if isinstance(value, bool):
        raise SymcostError(f"{what}: expected a positive number (given {value!r}).")
    try:
        if isinstance(value, (int, sympy.Integer)):
            number = sympy.Integer(value)
        elif isinstance(value, Fraction):
            number = sympy.Rational(value.numerator, value.denominator)
        elif isinstance(value, sympy.Rational):
            number = value
        elif isinstance(value, float):
            number = sympy.Rational(repr(value))
        elif isinstance(value, str) and 0 < len(value) <= 40 and all(
                c in "0123456789.eE+-/_" for c in value.strip()):
            number = sympy.Rational(value.strip().replace("_", ""))
        else:
            raise TypeError
    except (TypeError, ValueError, ZeroDivisionError, sympy.SympifyError):
        raise SymcostError(f"{what}: expected a positive number such as 989.5e12 (given "
                           f"{value!r}).") from None
    if not number.is_finite or number <= 0:
        raise SymcostError(f"{what}: must be positive (given {value!r}).")
    return number


@dataclass(frozen=True)
class Hardware:
    """One device: peak FLOP/s per dtype, memory bandwidth (bytes/s), capacity (bytes).

    ``peaks`` are dense (the figure without structured sparsity); ``sparse_peaks`` the 2:4
    sparse ones where the vendor gives them. Every figure is an exact sympy number.
    """

    name: str
    peaks: Mapping[str, sympy.Rational]
    bandwidth: sympy.Rational
    memory: sympy.Rational | None = None
    sparse_peaks: Mapping[str, sympy.Rational] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        where = f"hardware {self.name!r}"
        if not isinstance(self.name, str) or not self.name.strip():
            raise SymcostError("hardware: name must be a non-empty string.")
        peaks = _peaks(self.peaks, f"{where}: peak_flops")
        if not peaks:
            raise SymcostError(f"{where}: peak_flops: give at least one dtype, e.g. "
                               '{"bf16": "989.5e12"}.')
        object.__setattr__(self, "peaks", MappingProxyType(peaks))
        object.__setattr__(self, "sparse_peaks", MappingProxyType(
            _peaks(self.sparse_peaks, f"{where}: sparse_peak_flops")))
        object.__setattr__(self, "bandwidth", exact_number(self.bandwidth, f"{where}: bandwidth"))
        if self.memory is not None:
            object.__setattr__(self, "memory", exact_number(self.memory, f"{where}: memory"))

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.peaks.items())), self.bandwidth,
                     self.memory, tuple(sorted(self.sparse_peaks.items()))))

    def peak(self, dtype: str, *, sparse: bool = False) -> sympy.Rational:
        """Peak FLOP/s for ``dtype`` (dense unless ``sparse``); unknown dtypes raise."""
        table = self.sparse_peaks if sparse else self.peaks
        if dtype not in table:
            known = sorted(table)
            what = "a 2:4-sparse peak" if sparse else "a peak"
            raise SymcostError(f"hardware {self.name!r}: no {what} for dtype {dtype!r}."
                               f"{did_you_mean(dtype, known)} It has: " + ", ".join(known)
                               + ".")
        return table[dtype]

    def ridge(self, dtype: str, *, sparse: bool = False) -> sympy.Rational:
        """The ridge point peak/bandwidth in FLOP per byte: layers of lower arithmetic
        intensity are memory-bound."""
        return self.peak(dtype, sparse=sparse) / self.bandwidth

    def as_dict(self) -> dict[str, Any]:
        """The spec as a document (numbers as exact strings), what :func:`load` reads."""
        return {"hardware": 1, "name": self.name,
                "peak_flops": {k: str(v) for k, v in self.peaks.items()},
                "sparse_peak_flops": {k: str(v) for k, v in self.sparse_peaks.items()},
                "bandwidth": str(self.bandwidth),
                "memory": None if self.memory is None else str(self.memory),
                "source": self.source}


def _peaks(table: Any, where: str) -> dict[str, sympy.Rational]:
    if not isinstance(table, Mapping):
        raise SymcostError(f"{where}: expected an object of dtype: FLOP/s, got "
                           f"{type(table).__name__}.")
    out = {}
    for dtype, value in table.items():
        if dtype not in DTYPE_BYTES:
            raise SymcostError(f"{where}: unknown dtype {dtype!r}.{did_you_mean(dtype, DTYPES)}"
                               " Use one of: " + ", ".join(DTYPES) + ".")
        out[dtype] = exact_number(value, f"{where}.{dtype}")
    return out


def _tera(**figures: str) -> dict[str, sympy.Rational]:
    return {k: sympy.Rational(v) * _T for k, v in figures.items()}


def _half(table: dict[str, sympy.Rational]) -> dict[str, sympy.Rational]:
    return {k: v / 2 for k, v in table.items()}


_A100_SPARSE = _tera(tf32="312", bf16="624", fp16="624", int8="1248")
_A100_SOURCE = ("NVIDIA A100 Tensor Core GPU datasheet (2021, nvidia.com/a100): FP64 9.7, "
                "FP64 Tensor Core 19.5, FP32 19.5, TF32 156 (312 sparse), BF16/FP16 312 (624), "
                "INT8 624 (1248) TOPS; ")
_H100_SXM_SPARSE = _tera(tf32="989", bf16="1979", fp16="1979", fp8="3958", int8="3958")
_H100_SOURCE = ("NVIDIA H100 Tensor Core GPU datasheet (2023, nvidia.com/h100), {form}: "
                "dense = half the 'with sparsity' figure; ")


def _presets() -> dict[str, Hardware]:
    h100_dense = {"fp64": sympy.Integer(67) * _T, "fp32": sympy.Integer(67) * _T,
                  **_half(_H100_SXM_SPARSE)}
    h100_pcie_sparse = _tera(tf32="756", bf16="1513", fp16="1513", fp8="3026", int8="3026")
    l4_sparse = _tera(tf32="120", bf16="242", fp16="242", fp8="485", int8="485")
    mi300x_sparse = _tera(tf32="1307.4", bf16="2614.9", fp16="2614.9", fp8="5229.8",
                          int8="5229.8")
    a100_dense = {**_tera(fp64="19.5", fp32="19.5"), **_half(_A100_SPARSE)}
    specs = [
        Hardware("a100-sxm4-40gb", a100_dense, 1555 * _G, 40 * _G, _A100_SPARSE,
                 _A100_SOURCE + "40GB HBM2 1,555 GB/s."),
        Hardware("a100-sxm4-80gb", a100_dense, 2039 * _G, 80 * _G, _A100_SPARSE,
                 _A100_SOURCE + "80GB HBM2e 2,039 GB/s."),
        Hardware("h100-sxm5", h100_dense, sympy.Rational("3.35") * _T, 80 * _G,
                 _H100_SXM_SPARSE,
                 _H100_SOURCE.format(form="SXM") + "FP64/FP32 67 TFLOPS, TF32 989, BF16/FP16 "
                 "1,979, FP8/INT8 3,958 (sparse); 80GB HBM3 3.35 TB/s."),
        Hardware("h100-pcie", {**_tera(fp64="51", fp32="51"), **_half(h100_pcie_sparse)},
                 2 * _T, 80 * _G, h100_pcie_sparse,
                 _H100_SOURCE.format(form="PCIe") + "FP64 Tensor Core/FP32 51 TFLOPS, TF32 "
                 "756, BF16/FP16 1,513, FP8/INT8 3,026 (sparse); 80GB HBM2e 2 TB/s."),
        Hardware("h200", h100_dense, sympy.Rational("4.8") * _T, 141 * _G, _H100_SXM_SPARSE,
                 "NVIDIA H200 Tensor Core GPU datasheet (2024, nvidia.com/h200), H200 SXM: "
                 "compute as H100 SXM (BF16/FP16 1,979, FP8 3,958 sparse); 141GB HBM3e "
                 "4.8 TB/s."),
        Hardware("l4", {**_tera(fp32="30.3"), **_half(l4_sparse)}, 300 * _G, 24 * _G,
                 l4_sparse,
                 "NVIDIA L4 Tensor Core GPU datasheet (2023, nvidia.com/l4): FP32 30.3 "
                 "TFLOPS, TF32 120, BF16/FP16 242, FP8/INT8 485 (sparse); 24GB GDDR6 "
                 "300 GB/s."),
        Hardware("v100-sxm2", _tera(fp64="7.8", fp32="15.7", fp16="125"), 900 * _G, 32 * _G,
                 {}, "NVIDIA Tesla V100 datasheet (2020, nvidia.com/v100), V100 SXM2: FP64 "
                 "7.8, FP32 15.7, Tensor (FP16) 125 TFLOPS; 32GB (or 16GB) HBM2 900 GB/s; no "
                 "BF16 and no sparsity."),
        Hardware("mi300x", {**_tera(fp64="163.4", fp32="163.4"), **_half(mi300x_sparse)},
                 sympy.Rational("5.3") * _T, 192 * _G, mi300x_sparse,
                 "AMD Instinct MI300X accelerator datasheet (2023, amd.com): FP64/FP32 matrix "
                 "163.4 TFLOPS, TF32 653.7 (1,307.4 sparse), BF16/FP16 1,307.4 (2,614.9), "
                 "FP8/INT8 2,614.9 (5,229.8); 192GB HBM3 5.3 TB/s."),
    ]
    return {h.name: h for h in specs}


_PRESETS: Mapping[str, Hardware] = MappingProxyType(_presets())
_ALIASES = {"h100": "h100-sxm5", "h100-sxm": "h100-sxm5", "a100": "a100-sxm4-80gb",
            "a100-40gb": "a100-sxm4-40gb", "a100-80gb": "a100-sxm4-80gb",
            "h200-sxm": "h200", "v100": "v100-sxm2"}


def names() -> list[str]:
    """The preset names (``symcost hardware`` lists them with their figures)."""
    return list(_PRESETS)


def presets() -> Mapping[str, Hardware]:
    """Every preset by name (read-only)."""
    return _PRESETS


def get(name: str | Hardware) -> Hardware:
    """A preset by name (case-insensitive; ``h100`` is ``h100-sxm5``), or ``name`` itself
    when it is already a :class:`Hardware`; a path to a JSON/YAML spec loads it."""
    if isinstance(name, Hardware):
        return name
    if not isinstance(name, str):
        raise SymcostError(f"hardware: expected a preset name or a Hardware (given "
                           f"{type(name).__name__}).")
    key = name.strip().lower().replace("_", "-")
    key = _ALIASES.get(key, key)
    if key in _PRESETS:
        return _PRESETS[key]
    if name.endswith((".json", ".yaml", ".yml")):
        return load(Path(name))
    raise SymcostError(f"hardware: no preset named {name!r}."
                       f"{did_you_mean(key, list(_PRESETS))} Use one of: "
                       + ", ".join(_PRESETS) + ", or a path to a JSON or YAML spec.")


_DOC_KEYS = ("hardware", "name", "peak_flops", "sparse_peak_flops", "bandwidth", "memory",
             "source")


def load(source: str | Path | bytes, *, format: str | None = None) -> Hardware:
    """A hardware spec from a JSON or YAML document (a path or the text)::

        {"hardware": 1, "name": "my-gpu", "peak_flops": {"bf16": "989.5e12"},
         "bandwidth": "3.35e12", "memory": 80e9, "source": "vendor datasheet"}

    Read with the same bounds as network documents (size, nesting, no YAML tags, duplicate
    keys refused); numbers may be integers, decimals or exact strings. Errors are
    :class:`~symcost.errors.SpecFileError` naming the field.
    """
    from .io import _format_of, _is_text, _sniff
    from .safe_text import _check_values, _decode, _parse_json, _parse_yaml, _read_file

    if isinstance(source, Path) or (isinstance(source, str) and not _is_text(source)):
        text, where = _read_file(Path(source)), str(source)
        fmt = _format_of(format, Path(source), _sniff(text))
    else:
        text = _decode(source, "hardware") if isinstance(source, bytes) else source
        where = "hardware"
        fmt = _format_of(format, None, _sniff(text))
    data = _parse_yaml(text, where) if fmt == "yaml" else _parse_json(text, where)
    _check_values(data, where)
    if not isinstance(data, dict):
        raise SpecFileError(f"{where}: expected an object with 'name', 'peak_flops' and "
                            "'bandwidth'.")
    for key in data:
        if key not in _DOC_KEYS:
            raise SpecFileError(f"{where}: {key}: unknown field;"
                                f"{did_you_mean(key, _DOC_KEYS)} a hardware spec has "
                                + ", ".join(_DOC_KEYS) + ".")
    for key in ("name", "peak_flops", "bandwidth"):
        if key not in data:
            raise SpecFileError(f"{where}: {key}: missing (a hardware spec needs name, "
                                "peak_flops and bandwidth).")
    if data.get("hardware", 1) != 1:
        raise SpecFileError(f"{where}: hardware: format version {data['hardware']!r} is not "
                            "one this version reads (it reads 1).")
    if not isinstance(data["name"], str):
        raise SpecFileError(f"{where}: name: expected a string.")
    try:
        return Hardware(data["name"], data["peak_flops"], data["bandwidth"],
                        data.get("memory"), data.get("sparse_peak_flops") or {},
                        str(data.get("source") or f"loaded from {where}"))
    except SpecFileError:
        raise
    except SymcostError as exc:
        raise SpecFileError(f"{where}: {exc}") from None


def measure_cpu(*, size: int = 1024, copy_mb: int = 128, repeats: int = 5,
                dtypes: tuple[str, ...] = ("fp32", "fp64")) -> Hardware:
    """This machine as a :class:`Hardware`: the best of ``repeats`` NumPy matmuls of two
    ``size``×``size`` matrices per dtype (2·size³ FLOP each) and of copies of a ``copy_mb``
    MB array (bytes read + bytes written). Figures are rounded to whole FLOP/s and bytes/s,
    so the spec is exact like any other; they depend on the BLAS NumPy uses and the load.
    """
    import numpy as np

    for value, what in ((size, "size"), (copy_mb, "copy_mb"), (repeats, "repeats")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SymcostError(f"measure_cpu: {what} must be a positive int (given {value!r}).")
    kinds = {"fp32": np.float32, "fp64": np.float64}
    peaks: dict[str, sympy.Rational] = {}
    for dtype in dtypes:
        if dtype not in kinds:
            raise SymcostError(f"measure_cpu: dtype {dtype!r} cannot be measured with NumPy;"
                               " use fp32 or fp64.")
        a = np.ones((size, size), dtype=kinds[dtype])
        b = np.ones((size, size), dtype=kinds[dtype])
        a @ b  # warm up the BLAS threads
        best = min(_timed(lambda a=a, b=b: a @ b) for _ in range(repeats))
        peaks[dtype] = sympy.Integer(max(1, round(2 * size**3 / best)))
    src = np.ones(copy_mb * 2**20 // 8, dtype=np.float64)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    best = min(_timed(lambda: np.copyto(dst, src)) for _ in range(repeats))
    bandwidth = sympy.Integer(max(1, round(2 * src.nbytes / best)))
    memory = None
    try:
        memory = sympy.Integer(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # not every platform has sysconf
        pass
    return Hardware("cpu", peaks, bandwidth, memory, {},
                    f"measured by symcost.hardware.measure_cpu(size={size}, "
                    f"copy_mb={copy_mb}, repeats={repeats}) on {time.strftime('%Y-%m-%d')}: "
                    "NumPy matmul peak and copy bandwidth")


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return max(time.perf_counter() - start, 1e-9)
