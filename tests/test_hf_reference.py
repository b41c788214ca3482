"""The real-model fixture (tests/fixtures/transformers_reference.json) still holds.

Rebuilds the smaller models of benchmarks/transformers_reference.py on CPU (GPT-2 small at
(B, T) = (1, 7) and (3, 333), BERT-base at (1, 7)) and compares the parameter counts and
FlopCounterMode's totals and per-op counts with the fixture. Regenerate the fixture with
``python benchmarks/transformers_reference.py``.
"""

import json
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="the reference models need torch")
pytest.importorskip("transformers", reason="transformers not installed (extra 'transformers')")

from tests import hf_models

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "transformers_reference.json")
                     .read_text())["zoo"]

CASES = [("gpt2", [(1, 7), (3, 333)]), ("bert_base", [(1, 7)])]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "points"), CASES, ids=[c[0] for c in CASES])
def test_fixture_holds(name, points):
    entry = FIXTURE[name]
    model = hf_models.ZOO[name]()
    assert type(model).__name__ == entry["class"]
    assert sum(p.numel() for p in model.parameters()) == entry["params"]
    for B, T in points:
        expected = entry["fcm"][f"{B}x{T}"]
        inputs = {"input_ids": hf_models.token_inputs(B, T)}
        assert hf_models.fcm_breakdown(model, inputs)["Global"] == expected["ops"]
        assert hf_models.fcm_flops(model, inputs) == expected["flops"]


@pytest.mark.slow
def test_fixture_names_every_zoo_model():
    assert set(FIXTURE) == set(hf_models.ZOO)
    for entry in FIXTURE.values():
        assert {"torch", "transformers", "device"} <= set(entry["source"])
