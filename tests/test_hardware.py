"""Hardware presets, documents and measure_cpu (shape and validation, never speed)."""

import pytest
import sympy

import symcost as sc
from symcost import hardware

PRESETS = ["a100-sxm4-40gb", "a100-sxm4-80gb", "h100-sxm5", "h100-pcie", "h200", "l4",
           "v100-sxm2", "mi300x"]


@pytest.mark.parametrize("name", PRESETS)
def test_every_required_preset_is_exact_and_sourced(name):
    hw = hardware.get(name)
    assert hw.source and "datasheet" in hw.source.lower()
    for value in [*hw.peaks.values(), *hw.sparse_peaks.values(), hw.bandwidth, hw.memory]:
        assert isinstance(value, sympy.Rational) and value > 0
    for dtype, sparse in hw.sparse_peaks.items():
        assert sparse == 2 * hw.peaks[dtype]  # 2:4 sparsity doubles the dense peak


def test_h100_figures_match_the_datasheet_by_hand():
    hw = hardware.get("H100_SXM5")
    assert hw.peak("bf16") == sympy.Rational(1979, 2) * 10**12
    assert hw.bandwidth == sympy.Rational(335, 100) * 10**12
    assert hw.ridge("bf16") == sympy.Rational(989_500, 3_350)


@pytest.mark.parametrize("call, words", [
    (lambda: hardware.get("h101"), "h101"),
    (lambda: hardware.get("h100-sxm5").peak("bf17"), "bf17"),
    (lambda: hardware.get("v100-sxm2").peak("bf16"), "bf16"),
    (lambda: hardware.get("l4").peak("fp64", sparse=True), "fp64"),
])
def test_unknown_hardware_or_dtype_raises_naming_it(call, words):
    with pytest.raises(sc.SymcostError, match=words):
        call()


def test_json_and_yaml_specs_load_exactly_and_round_trip():
    import json

    text = ('{"hardware": 1, "name": "my-gpu", "peak_flops": {"bf16": "989.5e12", '
            '"fp32": 67e12}, "bandwidth": 3350000000000, "memory": "80e9"}')
    hw = hardware.load(text)
    assert hw.peak("bf16") == sympy.Rational(9895, 10) * 10**12
    assert hw.peak("fp32") == 67 * 10**12
    yaml_hw = hardware.load("name: my-gpu\npeak_flops:\n  bf16: 989.5e12\nbandwidth: 3.35e12\n",
                            format="yaml")
    assert yaml_hw.bandwidth == hw.bandwidth
    again = hardware.load(json.dumps(hw.as_dict()))
    assert again == hw and hash(again) == hash(hw)


@pytest.mark.parametrize("text, words", [
    ('{"name": "x", "peak_flops": {"bf16": -1}, "bandwidth": 1}', "bf16"),
    ('{"name": "x", "peak_flops": {"bf61": 1}, "bandwidth": 1}', "bf61"),
    ('{"name": "x", "peak_flops": {"bf16": 1}}', "bandwidth"),
    ('{"name": "x", "peak_flops": {"bf16": 1}, "bandwidth": 1, "bandwith": 2}', "bandwith"),
    ('{"name": "x", "peak_flops": {"bf16": "1e12; rm"}, "bandwidth": 1}', "bf16"),
    ('{"name": "x", "peak_flops": {"bf16": 1}, "bandwidth": 1, "name": "y"}', "name"),
    ('[1, 2]', "object"),
])
def test_bad_documents_raise_spec_file_errors_naming_the_field(text, words):
    with pytest.raises(sc.SpecFileError, match=words):
        hardware.load(text)


def test_measure_cpu_gives_a_valid_spec_without_depending_on_speed():
    hw = hardware.measure_cpu(size=64, copy_mb=1, repeats=1, dtypes=("fp32",))
    assert set(hw.peaks) == {"fp32"} and hw.peak("fp32").is_Integer and hw.peak("fp32") > 0
    assert hw.bandwidth.is_Integer and hw.bandwidth > 0 and "measure_cpu" in hw.source
    with pytest.raises(sc.SymcostError, match="size"):
        hardware.measure_cpu(size=0)
    with pytest.raises(sc.SymcostError, match="bf16"):
        hardware.measure_cpu(dtypes=("bf16",))


def test_cli_lists_presets(capsys):
    from symcost.cli import main

    assert main(["hardware"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in PRESETS)
