"""Learning curves of a study's trials: value against step.

Two sources, in this order: the intermediate values a trial reported while it ran
(`Trial.intermediate_values`, step -> value, what pruners decide on), and the per-epoch history
the Keras adapter stores in `user_attrs` (`"history"`: metric -> values, `"epochs"`: the epoch
numbers, 1-based; a list of both when a trial ran several executions, of which the first is
drawn). For Keras histories the metric that the trial's value was read from is found by
matching the value against each metric at the trial's `best_epoch`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from hpcore.trial import Trial

__all__ = ["MAX_CURVES", "learning_curves"]

#: Most curves on the page: at 10,000 trials with 100 steps each, all would be a million points.
MAX_CURVES = 400


def _finite(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def _reported(t: Trial) -> dict[str, Any] | None:
    values = getattr(t, "intermediate_values", None)  # the field of pruning-aware trials
    if not isinstance(values, Mapping) or not values:
        return None
    steps = sorted(values)
    return {"steps": steps, "values": {"value": [_finite(values[s]) for s in steps]}}


def _first(x: Any) -> Any:
    return x[0] if isinstance(x, list) and x and isinstance(x[0], (list, dict)) else x


def _history(t: Trial) -> dict[str, Any] | None:
    hist = _first(t.user_attrs.get("history"))
    if not isinstance(hist, Mapping) or not hist:
        return None
    series = {k: v for k, v in hist.items() if isinstance(v, list) and v}
    if not series:
        return None
    n = max(len(v) for v in series.values())
    epochs = _first(t.user_attrs.get("epochs"))
    steps = epochs if isinstance(epochs, list) and len(epochs) == n else list(range(1, n + 1))
    return {"steps": steps, "values": {k: [_finite(x) for x in v] for k, v in series.items()}}


def _objective_metric(trials: Sequence[Trial], curves: Mapping[int, dict[str, Any]]) -> str | None:
    """The metric whose value at a trial's best epoch is the trial's value, for most trials."""
    votes: Counter[str] = Counter()
    for t in trials:
        c = curves.get(t.id)
        if c is None or t.value is None:
            continue
        best = _first(t.user_attrs.get("best_epoch"))
        i = c["steps"].index(best) if best in c["steps"] else len(c["steps"]) - 1
        for name, vals in c["values"].items():
            if i < len(vals) and vals[i] is not None and math.isclose(vals[i], t.value, rel_tol=1e-6, abs_tol=1e-12):
                votes[name] += 1
    return votes.most_common(1)[0][0] if votes else None


def _chosen(trials: Sequence[Trial], direction: str, limit: int) -> list[Trial]:
    """All of them up to `limit`; beyond, the best half by value and the most recent half."""
    if len(trials) <= limit:
        return list(trials)
    sign = 1.0 if direction == "minimize" else -1.0
    valued = sorted((t for t in trials if _finite(t.value) is not None), key=lambda t: (sign * t.value, t.id))
    keep = {t.id for t in valued[:limit // 2]}
    for t in sorted(trials, key=lambda t: -t.id):
        if len(keep) >= limit:
            break
        keep.add(t.id)
    return [t for t in trials if t.id in keep]


def learning_curves(trials: Sequence[Trial], direction: str, limit: int = MAX_CURVES) -> dict[str, Any] | None:
    """The curves of the trials that have one, JSON-ready, or None when none has.

    Returns {"source": what they are, "metric": the objective's metric (a key of every curve's
    "values"), "metrics": all metric names, "curves": [{"id", "state", "config", "steps",
    "values": {metric: [value or None per step]}}], "total": trials with a curve}; at most
    `limit` curves (see `_chosen`)."""
    reported = {t.id: c for t in trials if (c := _reported(t)) is not None}
    if reported:
        source, curves, metric = "values reported during the trials (trial.report)", reported, "value"
    else:
        curves = {t.id: c for t in trials if (c := _history(t)) is not None}
        if not curves:
            return None
        source = "per-epoch history stored with each trial (user_attrs['history'])"
        metric = _objective_metric(trials, curves)
    with_curve = [t for t in trials if t.id in curves]
    names = sorted({k for c in curves.values() for k in c["values"]})
    if metric is None:
        metric = next((n for n in names if n.startswith("val_")), names[0])
    shown = _chosen(with_curve, direction, limit)
    return {
        "source": source,
        "metric": metric,
        "metrics": names,
        "total": len(with_curve),
        "curves": [{"id": t.id, "state": t.state.value, "config": t.config_id, **curves[t.id]} for t in shown],
    }
