"""The command line's defaults and words (issue 18, item 5): a readable default depth, W
following H, did-you-mean, errors phrased as options, help with defaults and an example,
and the README's ratio example as written."""

import re
from pathlib import Path

import pytest

from symcost.cli import _build_parser, main

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["report", "plot", "ratio", "dump", "schema", "list", "conventions"]


def _rows(text: str) -> list[str]:
    """The table rows of a text report (between the two rules)."""
    lines = text.splitlines()
    rules = [i for i, line in enumerate(lines) if line and set(line) == {"-"}]
    return lines[rules[0] + 1:rules[1]]


def test_report_shows_depth_one_by_default_and_the_full_tree_behind_depth(capsys):
    assert main(["report", "mobilenet_v1", "--at", "H=224", "W=224"]) == 0
    rows = _rows(capsys.readouterr().out)
    assert len(rows) == 18 and not [r for r in rows if r.startswith(" ")]  # 18 top blocks
    assert main(["report", "mobilenet_v1", "--at", "H=224", "W=224", "--depth", "all"]) == 0
    assert len(_rows(capsys.readouterr().out)) > 18 * 2


def test_at_h_alone_means_a_square_input(capsys):
    assert main(["report", "mobilenet_v1", "--at", "H=224", "--convention", "macs"]) == 0
    out = capsys.readouterr().out
    assert "at H=224, W=224" in out and "568,740,352" in out
    assert main(["report", "mobilenet_v1", "--at", "H=224", "W=160", "--convention",
                 "macs"]) == 0
    assert "at H=224, W=160" in capsys.readouterr().out


@pytest.mark.parametrize("argv, hint", [
    (["report", "resnet5"], "Did you mean 'resnet50'"),
    (["report", "mobilnet_v1"], "Did you mean 'mobilenet_v1'"),
    (["report", "mobilenet_v1", "--convention", "fvcor"], "Did you mean 'fvcore'?"),
])
def test_names_get_did_you_mean(argv, hint, capsys):
    assert main(argv) == 2
    assert hint in capsys.readouterr().err


def test_errors_speak_options_not_python(capsys, tmp_path):
    doc = tmp_path / "net.json"
    doc.write_text('{"network": {"kind": "relu"}, "input": {"C": 3, "H": "H", "W": "W"}}')
    assert main(["report", str(doc), "--at", "W=4"]) == 2
    err = capsys.readouterr().err
    assert "--at: no value for H" in err and "evaluate(" not in err
    regular, separable = (str(ROOT / "examples" / f"{n}.json") for n in ("regular",
                                                                          "separable"))
    assert main(["ratio", regular, separable, "--at", "K=3"]) == 2
    assert ("--at: no value for C_out. Give every size: --at K=3 C_out=<int>"
            in capsys.readouterr().err)
    assert main(["plot", regular, "--range", "4:8", "--at", "K=3"]) == 2
    err = capsys.readouterr().err
    assert "--at: no value for C_in, C_out. Give every size: --at K=3" in err
    assert "fixed=" not in err
    assert main(["report", "no_such_dir/missing.json"]) == 2
    err = capsys.readouterr().err
    assert "PosixPath" not in err and "no_such_dir/missing.json: cannot read" in err


def test_an_incomplete_total_is_a_cli_warning_line(capsys, tmp_path):
    doc = tmp_path / "net.json"
    doc.write_text('{"network": {"kind": "custom", "label": "mystery"}, '
                   '"input": {"C": 3, "H": 4, "W": 4}}')
    assert main(["report", str(doc)]) == 0
    captured = capsys.readouterr()
    assert "total (INCOMPLETE: 1 uncosted)" in captured.out
    assert captured.err.startswith("symcost: warning: ") and "INCOMPLETE" in captured.err
    assert "The report lists them under UNCOSTED" in captured.err
    assert ".uncosted" not in captured.err  # CLI words, not Python attributes
    assert main(["ratio", str(doc), str(doc), "--metric", "activations"]) == 0
    err = capsys.readouterr().err
    assert err.count("symcost: warning: ") == 2 and f"'symcost report {doc}' lists" in err


def _help(command: str) -> str:
    parser = _build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    return sub.format_help()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_shows_its_defaults_and_an_example(command):
    text = _help(command)
    example = text.split("example:\n", 1)[1].strip().splitlines()
    assert example and all(line.strip().startswith("symcost " + command) for line in example)
    parser = _build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    for action in sub._actions:
        if action.option_strings and action.default not in (None, [], False, "==SUPPRESS=="):
            shown = (" ".join(action.default) if isinstance(action.default, list)
                     else str(action.default))
            assert f"(default: {shown})" in " ".join(text.split()), (command, action.dest)


def test_every_help_example_runs(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib", reason="the plot example needs the 'plot' extra")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    for command in COMMANDS:
        for line in _help(command).split("example:\n", 1)[1].strip().splitlines():
            argv = re.sub(r"\s+#.*$", "", line.strip()).split()[1:]
            argv = [a.strip("'") for a in argv]
            if ">" in argv:
                argv = argv[:argv.index(">")]
            assert main(argv) == 0, (line, capsys.readouterr().err)


def test_readme_ratio_example_works_as_written(capsys, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    line = next(x for x in readme.splitlines() if x.startswith("symcost ratio "))
    argv = line.split("#")[0].split()[1:]
    monkeypatch.chdir(ROOT)
    assert main(argv) == 0
    assert capsys.readouterr().out.splitlines()[0] == "C_out*K**2/(C_out + K**2)"


def test_the_seed_preset_names_its_article(capsys):
    assert main(["conventions"]) == 0
    seed = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("seed"))
    assert "Hollemans, 'How fast is my model?'" in seed


def test_readme_main_command_prints_a_depth_one_report(capsys):
    readme = (ROOT / "README.md").read_text()
    line = next(x for x in readme.splitlines() if x.startswith("pip install . && symcost "))
    argv = line.split("&& symcost ", 1)[1].split()
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "568,740,352" in out or "569" in out
    assert len(_rows(out)) == 18


@pytest.mark.parametrize("fmt", ["text", "latex-macros"])
def test_a_bad_depth_is_a_cli_error(fmt, capsys):
    assert main(["report", "mobilenet_v1", "--format", fmt, "--depth", "two"]) == 2
    assert "--depth: expected a whole number or 'all'" in capsys.readouterr().err


def test_latex_macros_give_the_total_unless_depth_asks_for_rows(capsys):
    assert main(["report", "mobilenet_v1", "--at", "H=224", "--format", "latex-macros"]) == 0
    assert capsys.readouterr().out.count(r"\newcommand") == 6
    assert main(["report", "mobilenet_v1", "--at", "H=224", "--format", "latex-macros",
                 "--depth", "1"]) == 0
    assert capsys.readouterr().out.count(r"\newcommand") == 6 * (1 + 18)


def test_top_level_help_has_an_example():
    text = _build_parser().format_help()
    assert "example:\n  symcost report mobilenet_v1 --at H=224" in text


def _readme_commands() -> list[str]:
    """Every `symcost ...` line of the README's bash blocks, continuations joined."""
    readme = (ROOT / "README.md").read_text()
    lines = []
    for block in re.findall(r"^```bash\n(.*?)^```", readme, flags=re.S | re.M):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #")[0].strip()
            if line.startswith("symcost "):
                lines.append(line)
    return lines


def test_the_readme_command_lines_run(tmp_path, monkeypatch, capsys):
    import shlex

    pytest.importorskip("matplotlib", reason="the plot line needs the 'plot' extra")
    pytest.importorskip("yaml", reason="the YAML lines need the 'yaml' extra")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    (tmp_path / "my_net.json").write_text(
        '{"network": {"kind": "relu"}, "input": {"C": 3, "H": "H", "W": "W"}}')
    commands = _readme_commands()
    assert len(commands) >= 10
    for line in commands:
        argv = shlex.split(line)[1:]
        if ">" in argv:
            argv = argv[:argv.index(">")]
        assert main(argv) == 0, (line, capsys.readouterr().err)
