"""The scikit-learn benchmark script runs end to end (tiny settings)."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_sklearn_search_benchmark_prints_a_table():
    from hpcore.benchmarks.sklearn_search import main

    table = main(["--datasets", "breast_cancer", "--trials", "2", "--cv", "2",
                  "--methods", "hpcore-bayes,sklearn-random"])
    rows = [line for line in table.splitlines() if line.startswith("| breast_cancer")]
    assert len(rows) == 2 and "HPSearchCV" in rows[0] and "RandomizedSearchCV" in rows[1]
