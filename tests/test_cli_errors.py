"""Command-line and library errors: no abbreviations, one clear line naming what is allowed."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from nasbench.cli import build_parser, main


def _parsers(parser, path=()):
    """Every (sub)parser of the tree as ``(argv path, parser)``."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, path + (name,))


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_no_parser_accepts_abbreviations():
    tree = list(_parsers(build_parser()))
    assert len(tree) > 10  # the top level, every command and the import sources
    assert [" ".join(p) for p, parser in tree if parser.allow_abbrev is not False] == []


@pytest.mark.parametrize("argv, prog, hint", [
    (["leaderboard", "--benchmark", "synthetic", "--seed", "3"], "nasbench leaderboard", "--seeds"),
    (["train", "--arch", "x", "--epoch", "3"], "nasbench train", "--epochs"),
    (["import", "nb201-csv", "x.csv", "--ou", "d"], "nasbench import nb201-csv", "--out"),
    (["demo", "--budg", "10"], "nasbench demo", "--budget"),
])
def test_prefix_of_an_option_is_an_error_of_its_subcommand(argv, prog, hint, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    line = _one_line_error(capsys)
    assert line.startswith(f"{prog}: error: unrecognized argument")
    assert f"did you mean {hint}?" in line and f"'{prog} --help'" in line


def test_unknown_strategy_on_the_command_line(capsys):
    with pytest.raises(SystemExit):
        main(["leaderboard", "--benchmark", "synthetic", "--strategies", "foo"])
    line = _one_line_error(capsys)
    assert line.startswith("nasbench leaderboard: error: argument --strategies: invalid choice: 'foo'")
    assert "'rs'" in line and "'re'" in line


@pytest.mark.parametrize("flag", [["--budget", "-5x"], ["--budget=-5x"], ["--budget", "5y"]])
def test_bad_budget_is_one_line(flag, tmp_path, capsys):
    rc = main(["leaderboard", "--benchmark", "synthetic", "--seeds", "1", "--no-progress",
               "-o", str(tmp_path / "lb"), *flag])
    assert rc == 1
    line = _one_line_error(capsys)
    value = flag[-1].split("=")[-1]
    assert line.startswith(f"nasbench leaderboard: error: cannot read budget '{value}'")
    assert "'150'" in line and "'3600s'" in line and "'300x'" in line


def test_negative_number_still_reaches_its_option(tmp_path, capsys):
    rc = main(["leaderboard", "--benchmark", "synthetic", "--seeds", "0", "--first-seed", "-1",
               "-o", str(tmp_path / "lb")])
    assert rc == 1
    assert "seeds and workers must be >= 1" in _one_line_error(capsys)


def test_unknown_metric_on_the_command_line(capsys):
    fixture = str(Path(__file__).parent / "fixtures" / "nb201_tiny.h5")
    rc = main(["compare", fixture, fixture, "--metric", "foo"])
    assert rc == 1
    line = _one_line_error(capsys)
    assert line.startswith("nasbench compare: error:") and "'foo'" in line and "val_acc" in line
    assert '"' not in line  # the message itself, not the repr of a KeyError


# ---------------------------------------------------------------- the same errors in Python
def _key_error_line(fn) -> str:
    with pytest.raises(KeyError) as exc:
        fn()
    msg = exc.value.args[0]
    assert isinstance(msg, str) and "\n" not in msg
    return msg


def test_unknown_strategy_in_python():
    from nasbench.catalog import STRATEGIES, get_benchmark, strategy_factory

    bench = get_benchmark("synthetic")
    for fn in (lambda: STRATEGIES["foo"], lambda: strategy_factory("foo", bench)):
        msg = _key_error_line(fn)
        assert msg.startswith("unknown strategy 'foo'; choose from [")
        assert all(repr(name) in msg for name in STRATEGIES)


def test_unknown_metric_in_python():
    from nasbench.catalog import get_benchmark

    bench = get_benchmark("synthetic")
    ev = bench.query(np.arange(3), fidelity=bench.max_fidelity)
    for fn in (lambda: ev["foo"], lambda: ev.values["foo"], lambda: bench.query([0], metrics=["foo"]),
               lambda: bench.table("foo")):
        msg = _key_error_line(fn)
        assert "'foo'" in msg and "val_acc" in msg and "test_acc" in msg
    assert ev.values["val_acc"].shape == (3,) and isinstance(ev.values, dict)
