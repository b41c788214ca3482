"""Every notebook runs top to bottom (nbclient + ipykernel), shows its figures and symcost's own
tables inline, and computes the same independent figures as the unit tests (the seed's worked
example, MobileNetV1's paper tables, torchvision's ResNet-50, FlopCounterMode).

Values are read from the executed notebook's namespace: after the last cell the test runs a
probe cell that prints them as JSON, so no assertion depends on how a cell prints."""

import json
import os
from pathlib import Path

import pytest

import symcost as sc

nbformat = pytest.importorskip("nbformat", reason="notebook tests need the 'notebooks' extra")
nbclient = pytest.importorskip("nbclient", reason="notebook tests need the 'notebooks' extra")
pytest.importorskip("ipykernel", reason="notebook tests need the 'notebooks' extra")
pytest.importorskip("matplotlib", reason="the notebooks draw figures (extra 'notebooks')")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PROBE_MARK = "SYMCOST-PROBE "

#: What each notebook's probe reads from its namespace (a dict expression).
PROBES = {
    "01_depthwise_separable": """{
        "depthwise": seed_values.parts["depthwise"].macs,
        "pointwise": seed_values.parts["pointwise"].macs,
        "separable": seed_values.macs, "regular": regular_values.macs,
        "ratio": r, "ratio_at": ratio_at, "limit": sympy.limit(r, C_out, sympy.oo)}""",
    "02_mobilenet_width_resolution": """{
        "table6": {str(a): v for a, v in table6.items()},
        "table7": {str(k): v for k, v in table7.items()},
        "curves": len(models)}""",
    "03_batchnorm_folding": """{
        "holds": [proof.holds, proof_nobias.holds],
        "differences": [proof.difference, proof_nobias.difference],
        "folded": len(report.folded), "kept": len(report.kept),
        "costs": costs, "toy": toy_report.lines(), "toy_backward": toy_backward.lines(),
        "macs_change": macs_change, "max_rel": max_rel}""",
    "04_resnet_closed_form": """{
        "closed": closed.total.macs, "macs224": at_224.macs, "params224": at_224.params,
        "floors": floors, "staircase": {str(k): v for k, v in staircase.items()}}""",
    "05_pytorch_import": """{
        "flops": result.total.flops, "uncosted": result.uncosted,
        "checks": [[h, w, ours, theirs] for (h, w), (ours, theirs) in checks.items()],
        "figures": figures}""",
    "06_attention_is_quadratic": """{
        "tstar": {k: str(v) for k, v in Tstar.items()}, "causal_diff": causal_diff,
        "gqa": gqa_saving["params"].subs(llama3), "moe": [moe_total.subs(mixtral),
                                                         moe_active.subs(mixtral)],
        "kaplan": [kaplan_holds, str(derived_kaplan)], "chinchilla": chinchilla_holds,
        "narayanan_gap": narayanan_gap, "korthikanti": korthikanti_holds,
        "figures": figures}""",
    "07_training_and_inference": """{
        "zero": {str(k): str(v) for k, v in zero.items()}, "megatron": str(megatron_per_param),
        "tstar": {k: str(v) for k, v in Tstar.items()}, "loop_ok": loop_ok,
        "k72": [k72_gpt, str(k72_llama_gap)], "figures": figures}""",
}

#: Figures (PNG outputs) and symcost/IPython rich outputs (HTML, LaTeX, Markdown) at least
#: shown by each notebook, executed and as committed.
MIN_IMAGES = {"01_depthwise_separable": 1, "02_mobilenet_width_resolution": 2,
              "03_batchnorm_folding": 1, "04_resnet_closed_form": 1, "05_pytorch_import": 1,
              "06_attention_is_quadratic": 1,
              "07_training_and_inference": 1}
MIN_RICH = {"01_depthwise_separable": 8, "02_mobilenet_width_resolution": 4,
            "03_batchnorm_folding": 7, "04_resnet_closed_form": 5, "05_pytorch_import": 5,
            "06_attention_is_quadratic": 10, "07_training_and_inference": 4}
RICH = ("text/html", "text/latex", "text/markdown")
#: notebooks that need an optional extra beyond the 'notebooks' one
NEEDS = {"05_pytorch_import": "torch"}


def _probe_cell(expression: str):
    return nbformat.v4.new_code_cell(
        "import json as _json\n"
        "def _plain(o):\n"
        "    return int(o) if getattr(o, 'is_Integer', False) else str(o)\n"
        f"print({PROBE_MARK!r} + _json.dumps({expression}, default=_plain))")


def _execute(path: Path):
    """Run a notebook plus its probe; return the executed notebook and the probed values."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(_probe_cell(PROBES[path.stem]))
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError on any failing cell
    probe = nb.cells.pop()
    text = "".join(o.get("text", "") for o in probe.outputs)
    return nb, json.loads(text.split(PROBE_MARK, 1)[1])


@pytest.fixture(scope="module")
def run():
    """Execute each notebook once per test session (the kernel imports this checkout and
    draws with the inline backend, as Jupyter does)."""
    cache: dict[str, tuple] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
        mp.delenv("MPLBACKEND", raising=False)

        def execute(stem: str):
            if stem in NEEDS:
                pytest.importorskip(NEEDS[stem], reason=f"{stem}.ipynb needs the "
                                    f"'{NEEDS[stem]}' extra")
            if stem not in cache:
                cache[stem] = _execute(ROOT / "notebooks" / f"{stem}.ipynb")
            return cache[stem]

        yield execute


def _outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _count(nb) -> tuple[int, int]:
    images = sum("image/png" in o.get("data", {}) for o in _outputs(nb))
    rich = sum(any(k in o.get("data", {}) for k in RICH) and "image/png" not in o.get("data", {})
               for o in _outputs(nb))
    return images, rich


def test_there_are_notebooks():
    assert [p.stem for p in NOTEBOOKS] == sorted(PROBES)


@pytest.mark.parametrize("stem", sorted(PROBES))
def test_notebook_shows_its_figures_and_rich_tables(stem, run):
    nb, _ = run(stem)
    images, rich = _count(nb)
    assert images >= MIN_IMAGES[stem] and rich >= MIN_RICH[stem], (images, rich)
    # a cell's value is a figure, a table or a formula, never a bare number, tuple or dict
    bare = [o["data"]["text/plain"] for o in _outputs(nb)
            if o.get("output_type") == "execute_result"
            and not any(k in o["data"] for k in (*RICH, "image/png"))]
    assert bare == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_carries_small_outputs(path):
    """They read on a code-hosting page without running: outputs stored, PNGs small."""
    nb = nbformat.read(path, as_version=4)
    images, rich = _count(nb)
    assert images >= MIN_IMAGES[path.stem] and rich >= MIN_RICH[path.stem], (images, rich)
    pngs = [o["data"]["image/png"] for o in _outputs(nb) if "image/png" in o.get("data", {})]
    assert max(len(p) for p in pngs) < 80_000  # base64 characters: a ~60 KB PNG
    assert path.stat().st_size < 250_000
    sources = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "matplotlib.use(" not in sources and "Agg" not in sources
    assert not [o for o in _outputs(nb) if o.get("output_type") == "error"]
    # re-running changes nothing but what changed (no timestamps)
    assert not [c for c in nb.cells if "execution" in c.get("metadata", {})]


def test_depthwise_separable_notebook_numbers(run):
    _, v = run("01_depthwise_separable")
    # the seed's worked example (DESIGN.md, decision 9)
    assert (v["depthwise"], v["pointwise"], v["separable"], v["regular"]) == (
        7_225_344, 102_760_448, 109_985_792, 924_844_032)
    assert v["ratio"] == "C_out*K**2/(C_out + K**2)" and v["ratio_at"] == "1152/137"
    assert v["limit"] == "K**2"


def test_mobilenet_notebook_reproduces_tables_6_and_7(run):
    _, v = run("02_mobilenet_width_resolution")
    # Howard et al. 2017, Table 6 (Mult-Adds M, params M) and Table 7 (Mult-Adds M)
    paper6 = {"1": (569, 4.2), "0.75": (325, 2.6), "0.5": (149, 1.3), "0.25": (41, 0.5)}
    assert {a: (round(m / 1e6), round(p / 1e6, 1)) for a, (m, p) in v["table6"].items()} \
        == paper6
    assert {r: round(m / 1e6, 1) for r, m in v["table7"].items()} == {
        "224": 568.7, "192": 418.1, "160": 290.7, "128": 186.4}
    assert v["table7"]["224"] == 568_740_352 and v["curves"] == 4


def test_batchnorm_folding_notebook_numbers(run):
    _, v = run("03_batchnorm_folding")
    assert v["holds"] == [True, True] and v["differences"] == [0, 0]
    assert (v["folded"], v["kept"]) == (27, 0)
    # MobileNetV1: MACs unchanged (paper: 569M); Keras' 4,231,976 trainable params and
    # 21,888 BN statistics become 4,221,032 params (see tests/test_fold.py) and no buffers
    assert v["costs"]["MACs"] == [568_740_352, 568_740_352]
    assert v["costs"]["params"] == [4_231_976, 4_221_032]
    assert v["costs"]["buffers"] == [21_888, 0]
    assert any(line.startswith("kept    4 (batchnorm2d): it follows 3 (relu), which is not "
                               "linear") for line in v["toy"])
    assert any(line.startswith("folded  5.body.0 (batchnorm2d) into 5.body.1 (conv2d) "
                               "(backward): +8 bias") for line in v["toy_backward"])
    assert v["macs_change"] == 0 and v["max_rel"] < 1e-12


def test_resnet_notebook_closed_form_and_staircase(run):
    _, v = run("04_resnet_closed_form")
    assert v["closed"] == "81456*H*W + 2048000"
    # torchvision: 4.089 GFLOPS, 25,557,032 params
    assert (v["macs224"], v["params224"]) == (4_089_184_256, 25_557_032)
    # torch FlopCounterMode on torchvision's ResNet-50 at 225x225 (tests/fixtures), ÷ 2
    assert v["staircase"]["225"][0] == 4_626_713_792
    assert v["staircase"]["224"] == [4_089_184_256, 4_089_184_256]
    assert v["staircase"]["256"][0] == v["staircase"]["256"][1]  # a multiple of 32
    assert v["floors"] > 0


def test_pytorch_notebook_matches_flop_counter(run):
    _, v = run("05_pytorch_import")
    # the notebook compares the formula with FlopCounterMode run live at three sizes
    assert [c[:2] for c in v["checks"]] == [[32, 32], [37, 45], [224, 199]]
    assert all(ours == theirs for _, _, ours, theirs in v["checks"])
    assert v["flops"] == "38592*(floor(H/2 - 1/2) + 1)*(floor(W/2 - 1/2) + 1) + 1664"
    assert v["uncosted"] == []
    assert v["figures"]["torch"] == 484_099_712 and v["figures"]["fvcore"] == 245_261_120


def test_attention_notebook_crossover_and_paper_formulas(run):
    _, v = run("06_attention_is_quadratic")
    # per layer, causal core B·T·d·(T + 1) MACs against the weights' 12·B·T·d²
    assert v["tstar"] == {"causal, exact pairs T(T+1)/2": "12*d - 1",
                          "causal, Megatron's T²/2": "12*d", "no mask (T² pairs)": "6*d"}
    assert v["causal_diff"] == "2*B*L*T*d"
    assert v["gqa"] == 2 * 32 * 4096 * (32 - 8) * 128  # Llama-3-8B: k, v 4096 -> 1024
    # one Mixtral layer: 8 experts of 3·4096·14336 plus the 4096×8 router; 2 active
    assert v["moe"] == [8 * 3 * 4096 * 14336 + 4096 * 8, 2 * 3 * 4096 * 14336 + 4096 * 8]
    assert v["kaplan"] == [True, "2*L*T*d + 24*L*d**2"] and v["chinchilla"] is True
    # Narayanan et al. 2021 leave the final LayerNorm (2h) out; Korthikanti et al. 2022's
    # 72·B·s·l·h²·(1 + s/(6h) + V/(12lh)) is three megatron forwards
    assert v["narayanan_gap"] == "2*h" and v["korthikanti"] is True
    figures = v["figures"]
    # GPT-2 small shape, T = 1024: torch FLOPs (eager) = 2 × (weights + dense attention)
    L_, d_, V_, T_ = 12, 768, 50257, 1024
    weights = L_ * 12 * d_**2 * T_ + V_ * d_ * T_
    assert figures["torch"][1] == 2 * (weights + L_ * 2 * T_**2 * d_)
    assert figures["macs"][0] == weights + L_ * T_ * (T_ + 1) * d_
    assert figures["megatron"][1] == 2 * (weights + L_ * T_**2 * d_)


def test_training_and_inference_notebook_numbers(run):
    _, got = run("07_training_and_inference")
    assert got["zero"] == {"0": "16", "1": "4 + 12/N_d", "2": "2 + 14/N_d", "3": "16/N_d"}
    assert got["megatron"] == "18" and got["loop_ok"] is True and got["figures"] >= 1
    # Korthikanti et al.'s 72-formula holds for the GPT spec; for SwiGLU (3·h·F instead of
    # 8·h² MACs per token) and GQA (k, v of G·h/a instead of h columns), 6 FLOPs per MAC:
    assert got["k72"][0] is True
    l, h, a, s, B, G, F = sc.dims("l h a s B G F")
    expected = 6 * B * s * l * (3 * h * F - 8 * h**2) + 12 * B * s * l * h**2 * (G / a - 1)
    assert sc.equivalent(sc.parse(got["k72"][1]), expected)
    assert got["tstar"]["llama2_7b"] == "1645121/(64*B)"
