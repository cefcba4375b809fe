"""benchmarks/overhead.py --long: the flat-cost table (its layout and windows, not its speed)."""

from __future__ import annotations

import re

import pytest
from hpcore.benchmarks import overhead


def test_long_table_has_both_storages_and_both_windows():
    text = overhead.main(["--long", "2000"])
    rows = [line for line in text.splitlines() if line.startswith("| hpcore")]
    assert [r.split("|")[1].strip() for r in rows] == ["hpcore, memory", "hpcore, SQLite"]
    assert "trials 1,000-2,000" in text.splitlines()[0]
    for row in rows:
        first, last, ratio = (float(c.replace(",", "")) for c in re.findall(r"\| ([\d.,]+) ", row + " "))
        assert first > 0 and last > 0 and ratio == pytest.approx(last / first, rel=0.02)


def test_long_needs_two_windows(capsys):
    with pytest.raises(SystemExit):
        overhead.main(["--long", "1999"])
    assert "at least 2000 trials" in capsys.readouterr().err
