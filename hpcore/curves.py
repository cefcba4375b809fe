"""Learning curves of trials, and the name of the metric a study optimises.

A trial's learning curve is its value against the training step: the intermediate values it
reported (`Trial.intermediate_values`, step -> value), or else the per-epoch history that the
Keras adapter stores in `user_attrs["history"]` (metric name -> one value per epoch, or a list of
such dicts when a trial has several executions, with the 1-based epoch numbers in
`user_attrs["epochs"]`).

The metric's name (for axis labels) comes from the study's attributes (`METRIC_ATTR`), or is
recognised in a Keras history: the history key whose value at each trial's best epoch is the
trial's value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpcore.trial import Trial

__all__ = ["METRIC_ATTR", "Curve", "history_metrics", "keras_metric", "learning_curve", "metric_name"]

#: Study attribute naming the metric the study's value is (e.g. "val_accuracy"), read by the PNG
#: plots and the HTML report alike; "objective" is taken too when "metric" is not set.
METRIC_ATTR = "metric"
_METRIC_ATTRS = (METRIC_ATTR, "objective")

#: Trials looked at to recognise the Keras objective in their histories: enough to rule out a
#: coincidence, few enough to stay instant on a 10,000-trial study.
_EVIDENCE_TRIALS = 20


@dataclass(frozen=True)
class Curve:
    """One trial's learning curve: `steps` (shape (n,), increasing) and `values` (shape (n,),
    finite); `unit` says what a step is ("step" for reported values, "epoch" for a history)."""

    steps: np.ndarray
    values: np.ndarray
    unit: str


def _executions(attrs: Mapping[str, Any]) -> list[tuple[Mapping[str, Sequence[float]], list[int] | None, Any]]:
    """(history, epoch numbers, best epoch) per execution from a Keras trial's `user_attrs`."""
    history = attrs.get("history")
    epochs = attrs.get("epochs")
    best = attrs.get("best_epoch")
    if isinstance(history, Mapping):
        return [(history, epochs if isinstance(epochs, list) else None, best)]
    if isinstance(history, list) and all(isinstance(h, Mapping) for h in history):
        n = len(history)
        ep = epochs if isinstance(epochs, list) and len(epochs) == n else [None] * n
        be = best if isinstance(best, list) and len(best) == n else [None] * n
        return [(h, e if isinstance(e, list) else None, b) for h, e, b in zip(history, ep, be, strict=True)]
    return []


def history_metrics(trial: Trial) -> list[str]:
    """The metrics of `trial`'s Keras history (of any execution), sorted; [] without one."""
    return sorted({k for history, _, _ in _executions(trial.user_attrs) for k, v in history.items()
                   if isinstance(v, list) and v})


def keras_metric(trials: Sequence[Trial]) -> str | None:
    """The history key that is the objective of a Keras study: the one whose value at the best
    epoch equals the execution's value in every trial looked at (the execution values are
    `user_attrs["execution_values"]`, or the trial's value when it has one execution). None
    when there is no history, or no key (a sum of metrics) or more than one fits."""
    candidates: set[str] | None = None
    looked = 0
    for t in trials:
        if looked >= _EVIDENCE_TRIALS:
            break
        if not t.ok:
            continue
        values = t.user_attrs.get("execution_values")
        runs = _executions(t.user_attrs)
        if values is None and len(runs) == 1:
            values = [t.value]
        if not runs or not isinstance(values, list) or len(values) != len(runs):
            continue
        for (history, epochs, best), value in zip(runs, values, strict=True):
            if not isinstance(best, int) or not isinstance(value, (int, float)):
                continue
            i = epochs.index(best) if epochs and best in epochs else best - 1
            fits = {k for k, v in history.items()
                    if isinstance(v, list) and 0 <= i < len(v) and isinstance(v[i], (int, float))
                    and math.isclose(v[i], value, rel_tol=1e-9, abs_tol=1e-12)}
            candidates = fits if candidates is None else candidates & fits
            looked += 1
    if candidates and len(candidates) == 1:
        return next(iter(candidates))
    return None


def metric_name(attrs: Mapping[str, Any] | None, trials: Sequence[Trial]) -> str | None:
    """The metric a study's value is: the study attribute `METRIC_ATTR` (or "objective") when set,
    else the Keras objective recognised in the trials' histories, else None."""
    for key in _METRIC_ATTRS:
        given = (attrs or {}).get(key)
        if isinstance(given, str) and given.strip():
            return given.strip()
    return keras_metric(trials)


def _finite(steps: np.ndarray, values: np.ndarray, unit: str) -> Curve | None:
    keep = np.isfinite(steps) & np.isfinite(values)
    if not keep.any():
        return None
    order = np.argsort(steps[keep], kind="stable")
    return Curve(steps[keep][order], values[keep][order], unit)


def learning_curve(trial: Trial, metric: str | None = None) -> Curve | None:
    """`trial`'s value against its step: its reported intermediate values when it has any, else
    the Keras history of `metric` (the mean over executions, on the epochs they share); None
    when the trial has neither."""
    reported = trial.intermediate_values
    if reported:
        steps = np.array([float(s) for s in reported], dtype=float)
        values = np.array([float(v) for v in reported.values()], dtype=float)
        return _finite(steps, values, "step")
    if metric is None:
        return None
    series = []
    for history, epochs, _ in _executions(trial.user_attrs):
        vals = history.get(metric)
        if not isinstance(vals, list) or not vals:
            continue
        try:
            v = np.array(vals, dtype=float)
        except (TypeError, ValueError):
            continue
        e = np.array(epochs, dtype=float) if epochs and len(epochs) == len(v) else np.arange(1.0, len(v) + 1)
        series.append((e, v))
    if not series:
        return None
    n = min(len(v) for _, v in series)
    steps = series[0][0][:n]
    values = np.mean([v[:n] for _, v in series], axis=0)
    return _finite(steps, values, "epoch")
