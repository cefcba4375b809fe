"""The start-up benchmark runs and prints its table (no timing is asserted: the benchmark
itself measures, tests never do)."""

import re

import pytest
from hpcore.benchmarks import startup

TIME = re.compile(r"\d+\.\d{3} s")


@pytest.mark.slow  # about a dozen fresh interpreters, one of them loading numba
def test_quick_run_prints_every_row_and_the_machine(capsys):
    assert startup.main(["--quick", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "machine: " in out and " CPUs, " in out and "Python " in out
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in out.splitlines() if line.startswith("| ")]
    assert rows[0][:3] == ["measurement", "hpcore", "Optuna"] and rows[0][-1] == "met"
    assert [r[0] for r in rows[1:]] == [row.label for row in startup.ROWS]
    optuna = "optuna" in startup.available_libraries()
    optuna_help = optuna and startup._help("optuna") is not None
    for row, (_, ours, theirs, ours_whole, theirs_whole, target, met) in zip(startup.ROWS, rows[1:]):
        # Every cell the row promises holds a time: in-process for both libraries (Optuna's when
        # installed), the whole process always; console scripts have no in-process time.
        inner = row.field != "whole"
        assert bool(TIME.fullmatch(ours)) == inner and bool(TIME.fullmatch(theirs)) == (inner and optuna), row
        assert TIME.fullmatch(ours_whole) and bool(TIME.fullmatch(theirs_whole)) == (optuna if inner else optuna_help), row
        assert target == row.target and met in (["yes", "**no**"] if row.limit is not None else ["-"]), row


def test_repeats_must_be_positive():
    with pytest.raises(SystemExit):
        startup.main(["--repeats", "0"])
