"""The start-up benchmark runs and prints its table (no timing is asserted: the benchmark
itself measures, tests never do)."""

import pytest
from hpcore.benchmarks import startup


@pytest.mark.slow  # about a dozen fresh interpreters, one of them loading numba
def test_quick_run_prints_every_row_and_the_machine(capsys):
    assert startup.main(["--quick", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "machine: " in out and " CPUs, " in out and "Python " in out
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| measurement | hpcore | Optuna |")
    assert [r.split(" | ")[0][2:] for r in rows[1:]] == [row.label for row in startup.ROWS]
    for row in rows[1:4]:  # import, first random trial, first Bayesian ask: hpcore's time is a number
        assert row.split(" | ")[1].endswith(" s") and row.split(" | ")[1] != "-"


def test_repeats_must_be_positive():
    with pytest.raises(SystemExit):
        startup.main(["--repeats", "0"])
