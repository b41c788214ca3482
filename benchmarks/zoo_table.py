"""What the per-model benchmarks share: which zoo models to run, and their result table.

Imported by ``bench_zoo.py`` and ``bench_fold.py`` (run as scripts from any directory: the
script's own folder is on ``sys.path``).
"""

from __future__ import annotations

import argparse

import symcost as sc

#: Zoo entries that are not image classifiers (no 3×H×W input to benchmark at).
NOT_IMAGE_MODELS = {"separable_vs_regular"}


def models_and_format(description: str, argv=None) -> tuple[list[str], bool]:
    """The models named on the command line (default: every convolutional image model of
    the zoo; bench_transformers.py times the transformers) and
    whether ``--markdown`` asks for a Markdown table."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("names", nargs="*", help="models (default: the whole zoo)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    names = args.names or [e.name for e in sc.zoo.list_models()
                           if e.architecture == "cnn" and e.name not in NOT_IMAGE_MODELS]
    return names, args.markdown


def print_table(rows: list[dict], columns: list[tuple[str, str, int, str]],
                markdown: bool) -> None:
    """One row per model: ``columns`` are (key, header, width, format) after the model name."""
    if markdown:
        print("| model | " + " | ".join(header for _, header, _, _ in columns) + " |")
        print("|---|" + "---:|" * len(columns))
        for r in rows:
            print(f"| {r['model']} | " + " | ".join(f"{r[key]:{fmt}}"
                                                  for key, _, _, fmt in columns) + " |")
        return
    print(f"{'model':24} " + " ".join(f"{header:>{width}}" for _, header, width, _ in columns))
    for r in rows:
        print(f"{r['model']:24} " + " ".join(f"{r[key]:{width}{fmt}}"
                                             for key, _, width, fmt in columns))
