"""The learning-curves section of the report: which trials' curves the page gets, as JSON.

The curves themselves are `hpcore.curves.learning_curve`, as in the PNG plot: a trial's reported
intermediate values when any trial of the study has some, else the per-epoch Keras history, one
curve per metric (the page offers a choice of metric; the study's metric, `metric_name`, first).
This module only chooses the trials shown (at most `MAX_CURVES`) and shapes the data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from hpcore.curves import history_metrics, learning_curve
from hpcore.trial import Trial

__all__ = ["MAX_CURVES", "learning_curves"]

#: Most curves on the page: at 10,000 trials with 100 steps each, all would be a million points.
MAX_CURVES = 400

_REPORTED = "values reported during the trials (trial.report)"
_HISTORY = "per-epoch history stored with each trial (user_attrs['history'])"


def _finite(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


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


def _series(trial: Trial, metrics: Sequence[str | None]) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """(steps, values) per metric name of `trial`'s curves; metric None: the reported values,
    named "value". Non-finite points are left out (JSON has no NaN), so steps may differ by metric."""
    steps: dict[str, list[float]] = {}
    values: dict[str, list[float]] = {}
    for m in metrics:
        c = learning_curve(trial, m)
        if c is not None:
            name = m or "value"
            steps[name], values[name] = c.steps.tolist(), c.values.tolist()
    return steps, values


def learning_curves(trials: Sequence[Trial], direction: str, metric: str | None = None,
                    limit: int = MAX_CURVES) -> dict[str, Any] | None:
    """The curves of the trials that have one, JSON-ready, or None when none has.

    metric: the study's metric (`hpcore.curves.metric_name`), shown first for Keras histories
    when they hold it. Returns {"source": what the curves are, "metric": the metric shown first
    (a key of the curves' "values"; "value" for reported values), "metrics": every metric name,
    "curves": [{"id", "state", "config", "steps": {metric: [step...]}, "values": {metric:
    [value...]}}], "total": trials with a stored curve}; at most `limit` curves (see `_chosen`)."""
    with_curve = [t for t in trials if t.intermediate_values]
    if with_curve:
        source, names = _REPORTED, ["value"]
        per_trial: dict[int, list[str | None]] = {t.id: [None] for t in with_curve}
    else:
        per_trial = {t.id: list(ms) for t in trials if (ms := history_metrics(t))}
        if not per_trial:
            return None
        with_curve = [t for t in trials if t.id in per_trial]
        source = _HISTORY
        names = sorted({m for ms in per_trial.values() for m in ms if m is not None})
    curves = []
    for t in _chosen(with_curve, direction, limit):  # only the shown curves are built
        steps, values = _series(t, per_trial[t.id])
        if values:
            curves.append({"id": t.id, "state": t.state.value, "config": t.config_id, "steps": steps, "values": values})
    if source == _HISTORY and metric not in names:
        metric = next((n for n in names if n.startswith("val_")), names[0])
    return {"source": source, "metric": "value" if source == _REPORTED else metric, "metrics": names,
            "total": len(with_curve), "curves": curves}
