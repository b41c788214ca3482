"""Every notebook runs top to bottom (nbclient + ipykernel), and their computed numbers are
checked against the same independent figures as the unit tests (the seed's worked example,
MobileNetV1's paper tables)."""

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="notebook tests need the 'notebooks' extra")
nbclient = pytest.importorskip("nbclient", reason="notebook tests need the 'notebooks' extra")
pytest.importorskip("ipykernel", reason="notebook tests need the 'notebooks' extra")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _execute(path: Path) -> list[str]:
    """Run a notebook; return the text of every code cell's outputs, in order."""
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError on any failing cell
    texts = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            texts.append("".join(str(o.get("text") or o.get("data", {}).get("text/plain", ""))
                                 for o in cell.outputs))
    return texts


@pytest.fixture(scope="module")
def run():
    """Execute each notebook once per test session (the kernel imports this checkout)."""
    cache: dict[Path, list[str]] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
        mp.setenv("MPLBACKEND", "Agg")

        def execute(path: Path) -> list[str]:
            if path not in cache:
                cache[path] = _execute(path)
            return cache[path]

        yield execute


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no .ipynb"


#: notebooks that need an optional extra beyond the 'notebooks' one
NEEDS = {"05_pytorch_import": "torch"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_stores_no_bulky_outputs(path, run):
    if path.stem in NEEDS:
        pytest.importorskip(NEEDS[path.stem], reason=f"{path.name} needs the "
                            f"'{NEEDS[path.stem]}' extra")
    nb = nbformat.read(path, as_version=4)
    stored = sum(len(str(c.get("outputs", ""))) for c in nb.cells if c.cell_type == "code")
    assert stored < 20_000, "clear the notebook's outputs before committing"
    run(path)


def test_depthwise_separable_notebook_numbers(run):
    out = "\n".join(run(ROOT / "notebooks" / "01_depthwise_separable.ipynb"))
    for figure in ("7225344", "102760448", "109985792", "924844032", "1152/137",
                   "C_out*K**2/(C_out + K**2)", "regular / separable = 8.41"):
        assert figure in out, figure


def test_mobilenet_notebook_reproduces_tables_6_and_7(run):
    out = "\n".join(run(ROOT / "notebooks" / "02_mobilenet_width_resolution.ipynb"))
    # Howard et al. 2017, Table 6 (Mult-Adds M, params M) and Table 7 (Mult-Adds M)
    for row in ("1                569             4.2", "0.75             325             2.6",
                "0.5              149             1.3", "0.25              41             0.5"):
        assert row in out, row
    for row in ("224                 568.7", "192                 418.1",
                "160                 290.7", "128                 186.4"):
        assert row in out, row


def test_resnet_notebook_closed_form_and_staircase(run):
    out = "\n".join(run(ROOT / "notebooks" / "04_resnet_closed_form.ipynb"))
    assert "81456*H*W + 2048000" in out
    assert "(4089184256, 25557032)" in out  # torchvision: 4.089 GFLOPS, 25,557,032 params
    # torch FlopCounterMode on torchvision's ResNet-50 at 225x225 (tests/fixtures)
    assert "225x225: exact 4,626,713,792" in out


def test_pytorch_notebook_matches_flop_counter(run):
    pytest.importorskip("torch", reason="05_pytorch_import.ipynb needs the 'torch' extra")
    out = "\n".join(run(ROOT / "notebooks" / "05_pytorch_import.ipynb"))
    # the notebook compares the formula with FlopCounterMode run live at three sizes
    assert "symcost == FlopCounterMode at [(32, 32), (37, 45), (224, 199)]" in out
    assert "38592*(floor(H/2 - 1/2) + 1)*(floor(W/2 - 1/2) + 1) + 1664" in out
    assert "'torch': 484099712" in out and "'fvcore': 245261120" in out


def test_batchnorm_folding_notebook_numbers(run):
    out = "\n".join(run(ROOT / "notebooks" / "03_batchnorm_folding.ipynb"))
    assert out.count("difference: 0 | holds: True") == 2  # the proof, with and without bias
    assert "27 folded, 0 kept" in out
    # MobileNetV1: MACs unchanged (paper: 569M); Keras' 4,231,976 trainable params and
    # 21,888 BN statistics become 4,221,032 params (see tests/test_fold.py) and no buffers
    for row in ("MACs     568,740,352     568,740,352", "params       4,231,976       4,221,032",
                "buffers          21,888               0"):
        assert row in out, row
    assert "kept    4 (batchnorm2d): it follows 3 (relu), which is not linear" in out
    assert "folded  5.body.0 (batchnorm2d) into 5.body.1 (conv2d) (backward): +8 bias" in out
    assert "MACs change: 0" in out
    assert "OK" in out and "MISMATCH" not in out
