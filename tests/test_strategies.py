"""symcost.strategies: valid by construction, every kind reachable, arguments checked."""

import os
import sys
from pathlib import Path

import pytest
import sympy
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import symcost as sc
from symcost import strategies as sst
from symcost._hypothesis import _hypothesis_setup_hook
from symcost.spec import CONTAINER_TYPES, LAYER_TYPES, MERGE_TYPES

ROOT = Path(__file__).resolve().parent.parent
INPUT = sc.Shape(C=3, H=8, W=8)


def kinds_in(spec):
    out = {spec.kind}
    for key in type(spec).model_fields:
        value = getattr(spec, key)
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if isinstance(item, sc.GraphNode):
                item = item.op
            if hasattr(item, "kind") and hasattr(type(item), "model_fields"):
                out |= kinds_in(item)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sst.networks(input=INPUT, max_layers=5))
def test_networks_are_valid_by_construction(net):
    res = net.cost(INPUT, "flops")
    values = res.evaluate()
    assert values.flops >= 0 and values.params >= 0
    assert sc.load(sc.dump(net)) == net


#: find the first example, without shrinking it (coverage, not a minimal witness)
FIRST = settings(max_examples=500, deadline=None, phases=[Phase.generate], database=None)


@pytest.mark.parametrize("kind", sorted(sst.LAYER_KINDS))
def test_networks_reach_every_layer_kind(kind):
    net = find(sst.networks(input=INPUT, kinds=[kind], max_layers=3),
               lambda n: kind in kinds_in(n), settings=FIRST)
    net.cost(INPUT)


@pytest.mark.parametrize("kind", ["add", "mul", "concat", "matmul", "sdpa", "residual",
                                  "parallel", "repeat", "graph"])
def test_networks_reach_every_container_and_merge(kind):
    net = find(sst.networks(input=INPUT, max_layers=3), lambda n: kind in kinds_in(n),
               settings=FIRST)
    net.cost(INPUT)


def test_strategy_kinds_cover_the_spec_union():
    assert set(sst.LAYER_KINDS) == {c.model_fields["kind"].default for c in LAYER_TYPES}
    assert set(sst.CONTAINER_KINDS) == {c.model_fields["kind"].default
                                        for c in CONTAINER_TYPES}


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_layers_accept_their_input(data):
    shape = data.draw(sst.shapes(vector=None))
    layer = data.draw(sst.layers(input=shape))
    layer.cost(shape, "flops").evaluate()


@settings(max_examples=20, deadline=None)
@given(sst.layers(kinds=[sc.Conv2d, "max_pool2d"], input=sst.shapes()))
def test_layers_take_classes_and_shape_strategies(layer):
    assert layer.kind in ("conv2d", "max_pool2d")


def test_dim_values_cover_every_symbol_and_respect_multiples():
    C, K = sc.dims("C K")
    H = sc.dim("H", multiple_of=32)
    conv = sc.Conv2d(in_channels=C, out_channels=2 * C, kernel_size=K, padding="same")
    cost = conv.cost(sc.Shape(C=C, H=H, W=H))

    @settings(max_examples=30)
    @given(sst.dim_values(cost, max_value=4), sst.dim_values(conv),
           sst.dim_values([sc.Shape(C=C, H=H, W=H), conv]))
    def check(values, spec_values, mixed):
        assert set(values) == {"C", "K", "H"} and values["H"] % 32 == 0
        assert 1 <= values["C"] <= 4
        assert set(spec_values) == {"C", "K"}
        assert set(mixed) == {"C", "K", "H"}
        cost.evaluate(values)

    check()


@settings(max_examples=30)
@given(sst.dims(multiples=True), sst.dims(names=["a", "b"]))
def test_dims_are_positive_integer_symbols(symbol, named):
    assert symbol.is_positive and symbol.is_integer
    assert named.name in ("a", "b")


@settings(max_examples=20)
@given(sst.conventions())
def test_conventions_are_presets(conv):
    assert conv.name in sc.convention_names()
    assert sc.get_convention(conv.name) is conv


@pytest.mark.parametrize("make, argument", [
    (lambda: sst.networks(min_layers=0), "min_layers"),
    (lambda: sst.networks(min_layers=3, max_layers=2), "max_layers"),
    (lambda: sst.networks(kinds=["conv4d"]), "kinds"),
    (lambda: sst.networks(kinds=[]), "kinds"),
    (lambda: sst.networks(containers=["loop"]), "containers"),
    (lambda: sst.networks(input=sc.Shape(C="C", H=8, W=8)), "input"),
    (lambda: sst.networks(input="3x8x8"), "input"),
    (lambda: sst.networks(max_depth=9), "max_depth"),
    (lambda: sst.layers(kinds=42), "kinds"),
    (lambda: sst.layers(kinds=["conv2d"], input=sc.Shape(C=3)), "kinds"),
    (lambda: sst.dims(names=[]), "names"),
    (lambda: sst.dims(names=["1x"]), "names"),
    (lambda: sst.dims(multiples="yes"), "multiples"),
    (lambda: sst.dim_values(sympy.Symbol("x"), max_value=0), "max_value"),
    (lambda: sst.dim_values(sympy.Symbol("x"), min_value=5, max_value=2), "max_value"),
    (lambda: sst.shapes(max_side=0), "max_side"),
    (lambda: sst.shapes(vector="no"), "vector"),
    (lambda: sst.conventions(names=["nope"]), "names"),
    (lambda: sst.merges(kinds=["sub"]), "kinds"),
])
def test_bad_arguments_raise_invalid_argument_naming_them(make, argument):
    with pytest.raises(InvalidArgument, match=argument):
        make().example()


def test_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        sst.networks(sc.Shape(C=3, H=8, W=8))  # type: ignore[misc]


def test_from_type_after_the_setup_hook():
    """Without the installed entry point (a source checkout), calling the hook registers
    a strategy for every spec type."""
    _hypothesis_setup_hook()

    @settings(max_examples=5, deadline=None)
    @given(st.data())
    def check(data):
        for cls in (*LAYER_TYPES, *MERGE_TYPES, *CONTAINER_TYPES, sc.Shape):
            value = data.draw(st.from_type(cls))
            assert isinstance(value, cls)

    check()


def test_the_entry_point_names_the_hook():
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject needs Python 3.11")
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    target = meta["project"]["entry-points"]["hypothesis"]["symcost"]
    module, _, name = target.partition(":")
    assert getattr(sys.modules.get(module) or __import__(module, fromlist=[name]), name) \
        is _hypothesis_setup_hook


def test_symcost_does_not_import_hypothesis():
    import subprocess

    code = "import sys, symcost; print('hypothesis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""}, check=True)
    assert out.stdout.strip() == "False"


def test_the_installed_entry_point_registers_the_types(tmp_path):
    """Simulate an installed symcost: a dist-info with the entry point from pyproject.toml.
    Importing hypothesis then runs the hook, and st.from_type(sc.Conv2d) works unaided."""
    code = ("import hypothesis, symcost as sc\n"
            "from hypothesis import given, settings, strategies as st\n"
            "@settings(max_examples=5, database=None)\n"
            "@given(st.from_type(sc.Conv2d))\n"
            "def t(conv):\n"
            "    assert isinstance(conv, sc.Conv2d)\n"
            "t()\nprint('registered')\n")
    out = _with_entry_point(tmp_path, code)
    assert out.stdout.strip() == "registered", out.stderr[-2000:]


def _with_entry_point(tmp_path, code: str):
    """Run ``code`` in a fresh interpreter that sees symcost installed with its hypothesis
    entry point (a probe dist-info carrying the entry point from pyproject.toml)."""
    import subprocess

    info = tmp_path / "symcost_probe-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: symcost-probe\n"
                                   "Version: 0.1.0\n")
    (info / "entry_points.txt").write_text(
        "[hypothesis]\nsymcost = symcost._hypothesis:_hypothesis_setup_hook\n")
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]), "PATH": ""}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env=env)


@pytest.mark.parametrize("first", ["from symcost import strategies",
                                   "import symcost.strategies",
                                   "import hypothesis, symcost"])
def test_importing_the_strategies_first_in_a_fresh_process_works(tmp_path, first):
    """Regression (issue 11): with the entry point installed, `from symcost import
    strategies` imported hypothesis, whose hook imported symcost.strategies while it was
    half-initialised (AttributeError). Tests missed it: pytest imports hypothesis first."""
    code = (f"{first}\n"
            "import symcost as sc\n"
            "from symcost import strategies as sst\n"
            "from hypothesis import HealthCheck, given, settings, strategies as st\n"
            # no health check or deadline: the test is about import order, and it must not
            # depend on the machine being idle (bench_strategies measures the speed)
            "@settings(max_examples=20, database=None, deadline=None, derandomize=True,\n"
            "          suppress_health_check=list(HealthCheck))\n"
            "@given(st.from_type(sc.Conv2d), st.from_type(sc.Conv1d), sst.networks())\n"
            "def t(conv, conv1d, net):\n"
            "    assert isinstance(conv, sc.Conv2d) and isinstance(conv1d, sc.Conv1d)\n"
            "t()\nprint('drawn')\n")
    out = _with_entry_point(tmp_path, code)
    assert out.stdout.strip() == "drawn", out.stderr[-2000:]


def test_every_layer_kind_has_one_drawer():
    """A new kind is its class, one drawer (symcost.strategies.DRAWERS), one executor
    (tests/executor.py) and one golden row (tests/test_layers.py)."""
    from symcost.spec import LAYER_TYPES

    assert set(sst.DRAWERS) == set(LAYER_TYPES)
