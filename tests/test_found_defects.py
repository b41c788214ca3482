"""Regression tests for the defects a hostile-user review found (issue 12).

Each test is named after its row of the defect list: the row's reproducer, then the
behaviour the row expects. The common thread: never a silently wrong number, never a hang,
and every refusal a SymcostError that names the layer, the field and the value.
"""

import pytest

import symcost as sc

MAP3 = sc.Shape(C=3, H=8, W=8)


def conv(**kw):
    return sc.Conv2d(**{"in_channels": 3, "out_channels": 3, "kernel_size": 3, **kw})


# ------------------------------------------------------------------ row 1: deferred sizes


def test_defect_01_undecided_size_becomes_a_deferred_condition():
    cost = sc.Conv2d(in_channels=3, out_channels="C-8", kernel_size=3).cost(MAP3)
    with pytest.raises(sc.ConstraintError, match=r"out_channels.*C - 8.*at least 1.*C=4"):
        cost.evaluate(C=4)
    assert cost.evaluate(C=9).macs == 1 * 36 * 27  # valid values still give the number
    with pytest.raises(sc.ConstraintError, match="out_channels"):
        cost.subs(C=4)


@pytest.mark.parametrize("build, at, field", [
    (lambda: conv(kernel_size="K-5").cost(sc.Shape(C=3, H=64, W=64)), {"K": 3},
     "kernel_size"),
    (lambda: sc.Repeat(n="n-3", body=sc.ReLU()).cost(MAP3), {"n": 1}, "n"),
    (lambda: sc.ReLU().cost(sc.Shape(C=3, H="H-10", W=8)), {"H": 3}, "H"),
    (lambda: sc.DepthwiseConv2d(in_channels=3, kernel_size=3, depth_multiplier="K-3")
     .cost(MAP3), {"K": 2}, "depth_multiplier"),
    (lambda: conv(groups="K-3").cost(MAP3), {"K": 2}, "groups"),
    (lambda: conv(padding="K-3").cost(MAP3), {"K": 2}, "padding"),
    (lambda: sc.Custom(counts={"mac": "H-20"}).cost(sc.Shape(C=3, H="H", W=8)), {"H": 16},
     "counts.mac"),
])
def test_defect_01_every_size_field_is_checked_at_evaluation(build, at, field):
    cost = build()
    with pytest.raises(sc.ConstraintError, match=field):
        cost.evaluate(**at)


def test_defect_01_a_report_at_a_breaking_value_is_an_error(tmp_path):
    from symcost.cli import main

    doc = tmp_path / "neg.json"
    doc.write_text('{"symcost": 1, "symbols": {"C": {}, "H": {}, "W": {}}, '
                   '"input": {"C": 3, "H": "H", "W": "W"}, "network": {"kind": "conv2d", '
                   '"in_channels": 3, "out_channels": "C - 8", "kernel_size": 3}}')
    assert main(["report", str(doc), "--at", "C=4", "H=32", "W=32"]) == 2
    assert main(["report", str(doc), "--at", "C=9", "H=32", "W=32"]) == 0


# ------------------------------------------------------------------ rows 8-11: sizes


@pytest.mark.parametrize("padding", ["SAME", "Same", "VALID", "full", " same", "same ",
                                     ("same", "same"), ["valid", 1]])
def test_defect_08_padding_modes_are_an_enumeration(padding):
    with pytest.raises(sc.SpecError, match="padding"):
        conv(padding=padding)


def test_defect_08_conv_transpose_refuses_same_as_torch_does():
    with pytest.raises(sc.SpecError, match=r"padding.*'same'"):
        sc.ConvTranspose2d(in_channels=3, out_channels=3, kernel_size=3, padding="same")
    assert conv(padding="same").padding == "same"  # the exact modes still work


def test_defect_09_fractional_sizes_need_a_whole_number_at_evaluation():
    cost = sc.Conv2d(in_channels=3, out_channels=4, kernel_size="C/2").cost(
        sc.Shape(C=3, H=64, W=64))
    with pytest.raises(sc.ConstraintError, match=r"kernel_size.*whole number.*C=3"):
        cost.evaluate(C=3)
    assert cost.evaluate(C=4).macs == 63 * 63 * 4 * 3 * 2 * 2
    lin = sc.Linear(in_features=3, out_features="C/2").cost(sc.Shape(C=3))
    with pytest.raises(sc.ConstraintError, match=r"out_features.*whole number"):
        lin.evaluate(C=3)
    dw = sc.DepthwiseConv2d(in_channels="C/2", kernel_size=3).cost(
        sc.Shape(C="C/2", H=8, W=8))
    with pytest.raises(sc.ConstraintError, match="whole number"):
        dw.evaluate(C=3)
    with pytest.raises(sc.ConstraintError, match="whole number"):
        sc.ReLU().cost(sc.Shape(C="C/2", H=4, W=4)).evaluate(C=3)


@pytest.mark.parametrize("text", ["0**-1", "(0-0)**-2"])
@pytest.mark.parametrize("field", ["in_channels", "out_channels", "kernel_size", "stride",
                                   "padding", "dilation", "groups"])
def test_defect_10_a_division_by_zero_in_a_size_is_refused(field, text):
    with pytest.raises(sc.SpecError, match=rf"{field}.*not a finite number"):
        conv(**{field: text})


def test_defect_11_zero_groups_or_stride_at_evaluation_is_a_constraint_error():
    with pytest.raises(sc.ConstraintError, match="groups"):
        conv(groups="K-3").cost(MAP3).evaluate(K=3)
    with pytest.raises(sc.ConstraintError, match="stride"):
        conv(stride="K-1").cost(MAP3).evaluate(K=1)


# ------------------------------------------------------------------ names


@pytest.mark.parametrize("name", ["inf", "nan", "oo", "zoo", "E", "I", "pi", "Infinity",
                                  "lambda", "if", "class", "match"])
def test_defect_29_constants_special_values_and_keywords_are_not_dimension_names(name):
    with pytest.raises(sc.DimensionError, match=repr(name)):
        sc.dim(name)
    with pytest.raises(sc.DimensionError, match=repr(name)):
        sc.dims(f"H {name}")
    with pytest.raises(sc.SpecError, match="out_channels"):
        conv(out_channels=name)


@pytest.mark.parametrize("name", ["inf", "pi", "lambda"])
def test_defect_29_documents_refuse_reserved_names(name):
    import json

    doc = json.dumps({"symcost": 1, "symbols": {name: {}}, "input": {"C": 3, "H": 8, "W": 8},
                      "network": {"kind": "relu"}})
    with pytest.raises(sc.SymcostError, match=name):
        sc.load(doc)
    legacy = json.dumps({"input": {"C": 3, "H": name, "W": 8}, "network": {"kind": "relu"}})
    with pytest.raises(sc.SymcostError, match="H"):
        sc.load_document(legacy)


def test_sizes_that_are_decided_stay_free_of_conditions():
    C = sc.dim("C")
    cost = sc.Conv2d(in_channels=C, out_channels=2 * C, kernel_size=3, padding=1).cost(
        sc.Shape(C=C, H=8, W=8))
    assert cost.constraints == ()
    half = sc.Linear(in_features=C, out_features="C // 2 + 1").cost(sc.Shape(C=C))
    assert half.constraints == ()
