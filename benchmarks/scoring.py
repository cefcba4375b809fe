"""Scores of benchmark runs: simple regret where the optimum is known, Bayesmark's normalised
regret where it is not, and ranks.

A run record (a dict, as `hpcore.benchmarks.compare` writes them) has ``function``, ``method``,
``seed``, ``optimum`` (float, or None when unknown), ``best`` (best value after each
evaluation, NaN before the first) and ``error`` ("" for a run that finished).

Notation
    T        the run's budget (evaluations); k <= T a budget a score is asked at
    f*       the known optimum
    f_ref    the best value known of a problem whose optimum is unknown: its stored reference,
             or a better value any run found
    f_rand   random search's median best value after k evaluations: over this run's
             ``hpcore:random`` records when it has them, else the stored median
    regret             max(best - f*, REGRET_FLOOR)
    normalised regret  max((best - f_ref) / (f_rand - f_ref), NORMALISED_FLOOR): 0 at the
                       reference, 1 at random search's median; n/a when f_rand <= f_ref
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["NORMALISED_FLOOR", "RANDOM_METHOD", "REGRET_FLOOR", "Scale", "problem_scales", "rank_table", "ranked_value"]

#: Regret below this counts as this (log10 regret of an exact hit stays finite).
REGRET_FLOOR = 1e-12
#: Normalised regret below this counts as this: a thousandth of random search's gap to the
#: reference is below what cross-validation noise resolves.
NORMALISED_FLOOR = 1e-3
#: The method whose runs give f_rand.
RANDOM_METHOD = "hpcore:random"


def best_at(rec: Mapping[str, Any], k: int) -> float:
    """The best value after k evaluations (NaN if the run has fewer or none yet)."""
    best = rec["best"]
    return float(best[k - 1]) if 1 <= k <= len(best) else math.nan


@dataclass(frozen=True)
class Scale:
    """How one problem's best values become scores.

    Attributes:
        optimum: f*, or None when unknown.
        reference: f_ref (optimum unknown), else None.
        reference_source: where f_ref comes from ("stored reference" or "best found in this run").
        random: k -> f_rand(k) where known (optimum unknown).
        random_source: where f_rand comes from ("hpcore random in this run" or "stored").
    """

    optimum: float | None
    reference: float | None = None
    reference_source: str = ""
    random: Mapping[int, float] = field(default_factory=dict)
    random_source: str = ""

    @property
    def normalised(self) -> bool:
        """Whether scores are normalised regrets (the optimum is unknown)."""
        return self.optimum is None

    def target(self) -> float:
        """f* or f_ref: what regret curves are measured from (NaN if neither is known)."""
        if self.optimum is not None:
            return self.optimum
        return self.reference if self.reference is not None else math.nan

    def regret_curve(self, rec: Mapping[str, Any]) -> np.ndarray:
        """best - target after each evaluation, floored at REGRET_FLOOR (NaN stays NaN): (T,)."""
        r = np.asarray(rec["best"], dtype=float) - self.target()
        return np.where(np.isnan(r), np.nan, np.maximum(r, REGRET_FLOOR))

    def score(self, rec: Mapping[str, Any], k: int) -> float:
        """Regret (optimum known) or normalised regret after k evaluations; NaN when undefined."""
        best = best_at(rec, k)
        if math.isnan(best):
            return math.nan
        if self.optimum is not None:
            return max(best - self.optimum, REGRET_FLOOR)
        rand = self.random.get(k)
        if self.reference is None or rand is None or not rand > self.reference:
            return math.nan
        return max((best - self.reference) / (rand - self.reference), NORMALISED_FLOOR)


def _median_random(recs: Sequence[Mapping[str, Any]], trials: int) -> dict[int, float]:
    out = {}
    for k in range(1, trials + 1):
        values = [best_at(r, k) for r in recs]
        values = [v for v in values if math.isfinite(v)]
        if values:
            out[k] = float(np.median(values))
    return out


def problem_scales(records: Sequence[Mapping[str, Any]],
                   reference_of: Callable[[str], float | None],
                   random_median_of: Callable[[str, int], float | None]) -> dict[str, Scale]:
    """function -> its `Scale`, from the finished records of a run.

    ``reference_of(name)`` is the stored f_ref of a problem (None if none is stored) and
    ``random_median_of(name, k)`` its stored f_rand after k evaluations (None if not stored);
    both are asked only for problems whose optimum is unknown.
    """
    by_function: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in records:
        if not r["error"]:
            by_function[r["function"]].append(r)
    scales: dict[str, Scale] = {}
    for name, recs in by_function.items():
        optimum = recs[0]["optimum"]
        if optimum is not None:
            scales[name] = Scale(float(optimum))
            continue
        found = [v for r in recs for v in r["best"] if math.isfinite(v)]
        stored = reference_of(name)
        best_found = min(found) if found else math.inf
        if stored is not None and stored <= best_found:
            reference, ref_source = float(stored), "stored reference"
        elif found:
            reference, ref_source = best_found, "best found in this run"
        else:
            reference, ref_source = None, ""
        trials = max(len(r["best"]) for r in recs)
        random_recs = [r for r in recs if r["method"] == RANDOM_METHOD]
        if random_recs:
            random, rand_source = _median_random(random_recs, trials), "hpcore random in this run"
        else:
            random = {k: v for k in range(1, trials + 1) if (v := random_median_of(name, k)) is not None}
            rand_source = "stored random-search median" if random else ""
        scales[name] = Scale(None, reference, ref_source, random, rand_source)
    return scales


def rank_table(records: Sequence[Mapping[str, Any]], k: int | None = None) -> dict[tuple[str, str], float]:
    """(function, method) -> mean rank over seeds of the result after k evaluations (the final
    one when k is None; 1 = best; ties share the mean rank; NaN ranks last). The result is the
    regret floored at REGRET_FLOOR where the optimum is known (so two exact hits tie), the best
    value itself where not."""
    by_case: dict[tuple[str, int], list[Mapping[str, Any]]] = defaultdict(list)
    for r in records:
        if not r["error"]:
            by_case[(r["function"], r["seed"])].append(r)
    ranks: dict[tuple[str, str], list[float]] = defaultdict(list)
    for (function, _), recs in by_case.items():
        finals = np.array([ranked_value(r, k) for r in recs])
        finals = np.where(np.isnan(finals), np.inf, finals)
        for r, v in zip(recs, finals):
            # Average rank among ties: 1 + (# strictly better) + (# equal others) / 2.
            rank = 1 + np.sum(finals < v) + (np.sum(finals == v) - 1) / 2
            ranks[(function, r["method"])].append(float(rank))
    return {k: float(np.mean(v)) for k, v in ranks.items()}


def ranked_value(rec: Mapping[str, Any], k: int | None = None) -> float:
    """What ranks and head-to-head counts compare: the regret after k evaluations (the final one
    when k is None, the last when the run is shorter), floored at REGRET_FLOOR, where the optimum
    is known; the best value itself where not; NaN before any."""
    best = best_at(rec, len(rec["best"]) if k is None else min(k, len(rec["best"])))
    if rec["optimum"] is None or math.isnan(best):
        return best
    return max(best - rec["optimum"], REGRET_FLOOR)
