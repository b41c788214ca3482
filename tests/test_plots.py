"""Plots (matplotlib is the optional 'plot' extra; these tests skip without it)."""

import pytest

import symcost as sc
from symcost.cli import main

plt = pytest.importorskip("matplotlib.pyplot", reason="matplotlib is the 'plot' extra")

H, W = sc.dims("H W")


@pytest.fixture(scope="module")
def values():
    return sc.zoo.mobilenet_v1().cost(sc.Shape(C=3, H=H, W=W), "macs").evaluate(H=224, W=224)


def test_plot_vs_resolution_for_several_models(tmp_path):
    from symcost.plots import plot_vs

    nets = {f"alpha={a}": sc.zoo.mobilenet_v1(a).cost(sc.Shape(C=3, H=H, W=W), "macs")
            for a in (1, 0.5)}
    ax = plot_vs(nets, ("H", "W"), range(64, 257, 32))
    lines = ax.get_lines()
    assert len(lines) == 2 and list(lines[0].get_xdata()) == list(range(64, 257, 32))
    assert lines[0].get_ydata()[-1] == nets["alpha=1"].evaluate(H=256, W=256).macs
    assert ax.get_xlabel() == "H = W" and ax.get_ylabel() == "MACs"
    plt.close(ax.figure)


def test_plot_breakdown_and_share(values):
    from symcost.plots import plot_breakdown, plot_share_by_kind

    ax = plot_breakdown(values, depth=1)
    assert len(ax.patches) == 18
    plt.close(ax.figure)
    ax = plot_share_by_kind(values)
    heights = {t.get_text(): p.get_height() for t, p in zip(ax.get_xticklabels(), ax.patches)}
    assert round(heights["pointwise_conv2d"], 2) == 94.86
    plt.close(ax.figure)


def test_plot_needs_numbers_and_values():
    from symcost.plots import plot_breakdown, plot_vs

    symbolic = sc.zoo.mobilenet_v1().cost(sc.Shape(C=3, H=H, W=W))
    with pytest.raises(sc.SymcostError, match="evaluate"):
        plot_breakdown(symbolic)
    with pytest.raises(sc.SymcostError, match="W"):
        plot_vs({"m": symbolic}, "H", range(32, 64))


def test_cli_plot_writes_a_png_with_axes(tmp_path, capsys):
    out = tmp_path / "m.png"
    assert main(["plot", "mobilenet_v1", "--vs", "H", "--range", "64:512", "--out",
                 str(out)]) == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (840, 540)  # 7 x 4.5 inches at 120 dpi
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [
    (["plot", "mobilenet_v1", "--vs", "Q", "--range", "64:128"], ["--vs", "'Q'"]),
    (["plot", "mobilenet_v1", "--range", "64-128"], ["--range", "START:STOP"]),
    (["plot", "mobilenet_v1", "--range", "128:64"], ["--range"]),
])
def test_cli_plot_errors(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    for w in words:
        assert w in err
