"""What ``help()``, ``inspect.signature`` and ``dir()`` show a user (issue 18, item 6)."""

import importlib
import inspect
import pkgutil
import pydoc
import typing

import pytest

import symcost as sc
from symcost.spec import AnyLayer

#: every spec kind a user builds (the members of the explicit union)
SPECS = sorted({t for t in typing.get_args(typing.get_args(AnyLayer)[0])
                if isinstance(t, type)}, key=lambda t: t.__name__)


def _help(obj) -> str:
    return pydoc.render_doc(obj, renderer=pydoc.plaintext)


def test_conv2d_has_the_plain_signature_torch_users_know():
    signature = str(inspect.signature(sc.Conv2d))
    assert signature == ("(*, in_channels, out_channels, kernel_size, stride=1, padding=0, "
                         "dilation=1, groups=1, bias=True, name=None)")
    assert len(signature) < 200


def test_help_of_conv2d_fits_one_screen_and_lists_fields_with_defaults():
    text = _help(sc.Conv2d)
    assert len(text.splitlines()) <= 55, len(text.splitlines())
    assert "    stride=1 — Stride, or one per spatial axis." in text
    assert "    in_channels — Input channels C_in." in text
    assert "model_dump" not in text and "model_json_schema" not in text


@pytest.mark.parametrize("cls", SPECS, ids=lambda c: c.__name__)
def test_every_spec_class_has_a_short_signature_and_help(cls):
    assert len(str(inspect.signature(cls))) < 200
    assert ":" not in str(inspect.signature(cls))  # no type annotations
    assert len(_help(cls).splitlines()) <= 70
    assert "Fields (keyword arguments):" in (cls.__doc__ or "")


def test_help_does_not_change_the_document_schema():
    from symcost.io import document_schema

    text = str(document_schema())
    assert "Fields (keyword arguments)" not in text


def test_dir_of_symcost_shows_only_public_names():
    assert dir(sc) == sorted([*sc.__all__, "__version__"])
    assert "annotations" not in dir(sc) and "report" not in dir(sc)
    assert sc.report.text_table  # submodules stay importable


@pytest.mark.parametrize("call", [
    lambda c: sc.ratio(c, c, metric="gflops"),
    lambda c: c.lambdify("H", metric="gflops"),
    lambda c: sc.equivalent(c, c, metric="mac"),
], ids=["ratio", "lambdify", "equivalent"])
def test_an_unknown_metric_is_a_symcost_error(call):
    cost = sc.Conv2d(in_channels=3, out_channels=8, kernel_size=3).cost(
        sc.Shape(C=3, H="H", W="H"))
    with pytest.raises(sc.SymcostError, match=r"unknown metric '(gflops|mac)'.*Use one of: "
                       r"macs, flops"):
        call(cost)


def test_unknown_metric_in_plots_and_comparisons():
    pytest.importorskip("matplotlib", reason="plots need the 'plot' extra")
    from symcost.plots import plot_breakdown, plot_share_by_kind, plot_vs

    result = sc.zoo.mobilenet_v1().cost(sc.Shape(C=3, H=64, W=64), "macs")
    values = result.evaluate()
    for call in (lambda: plot_vs({"m": result}, "H", [1], metric="gmacs"),
                 lambda: plot_breakdown(values, metric="gmacs"),
                 lambda: plot_share_by_kind(values, metric="gmacs")):
        with pytest.raises(sc.SymcostError, match="unknown metric 'gmacs'"):
            call()
    with pytest.raises(sc.SymcostError, match="metric must be 'macs' or 'flops'"):
        sc.compare_conventions(sc.zoo.mobilenet_v1(), sc.Shape(C=3, H=64, W=64), "seed",
                               "macs", metric="params")


def test_public_docstrings_have_no_test_idioms():
    for info in pkgutil.walk_packages(sc.__path__, "symcost."):
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue  # private modules (the hypothesis entry point imports on its own)
        try:
            module = importlib.import_module(info.name)
        except ImportError:
            continue  # an optional extra
        for name, obj in [(info.name, module), *vars(module).items()]:
            doc = getattr(obj, "__doc__", None)
            if not isinstance(doc, str):
                continue  # SpecMeta's __doc__ is the property that builds the field list
            examples = [line for line in doc.splitlines() if line.strip().startswith(">>>")]
            assert not [x for x in examples if "pytest" in x or "importorskip" in x], name


def test_ratio_network_cost_and_cost_document_their_arguments():
    for needle in ("``a`` and ``b``", "``metric``"):
        assert needle in sc.ratio.__doc__
    for needle in ("``spec``", "``input``", "``convention``", "``rows``", "``total``"):
        assert needle in sc.NetworkCost.__doc__
    for needle in ("``counts``", "``convention``", "``constraints``", "``parts``"):
        assert needle in sc.Cost.__doc__


def test_the_spec_metaclass_extends_pydantics():
    from pydantic import BaseModel

    from symcost._docs import SpecMeta

    assert SpecMeta.__mro__[1] is type(BaseModel)
