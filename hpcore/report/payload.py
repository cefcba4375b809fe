"""A study as one JSON-serialisable dict: everything the report page draws, computed in Python.

The page (`hpcore.report.html`) only lays this out, so what it shows is tested here, without a
browser. The dict has no NaN or infinity (JSON has neither): a non-finite value is written as
the string "nan", "inf" or "-inf" where the table shows it, and left out of every plot.

Keys: "name", "summary", "params" (what each axis is), "trials" (columns, one entry per trial),
"history", "model" (importance, contour, recommendation: see `model_section`), "rungs",
"curves", "failures", "version" (the storage's change counter: the dashboard polls it).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hpcore.curves import metric_name
from hpcore.plot_axes import value_window
from hpcore.report.curves import learning_curves
from hpcore.report.rungs import hyperband_rungs
from hpcore.space import Bool, Choice, Fixed, Float, Int, Space
from hpcore.storage.base import StudyRecord
from hpcore.trial import Trial, TrialState, best_trial, comparable_results, last_report

__all__ = ["MAX_ERROR_GROUPS", "model_section", "study_payload"]

#: Distinct errors shown whole on the page (failed trials with the same traceback share one).
MAX_ERROR_GROUPS = 50


def _finite(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def _shown_value(x: Any) -> float | str | None:
    """A trial's value for the table: the number, or "nan"/"inf"/"-inf" (JSON has no such number)."""
    if x is None:
        return None
    f = float(x)
    return f if math.isfinite(f) else str(f)


def _label(v: Any) -> str:
    """A category as the page shows it (Python's spelling: True, None, 0.5)."""
    return str(v)


def _space_of(record: StudyRecord) -> Space | None:
    if not record.space:
        return None
    try:
        return Space.from_dict(record.space)
    except (TypeError, ValueError, KeyError):
        return None


def _param_axes(space: Space | None, trials: Sequence[Trial]) -> list[dict[str, Any]]:
    """One entry per tunable parameter: name, kind ("float", "int", "category"), low, high, log,
    labels (categories, in the space's order) and whether it is conditional. Without a stored
    space (or for parameters added outside it) the kind is read off the values."""
    axes: list[dict[str, Any]] = []
    seen: set[str] = set()
    if space is not None:
        for name in space:
            p = space[name]
            seen.add(name)
            if isinstance(p, Fixed):
                continue
            conditional = bool(p.condition)
            if isinstance(p, (Choice, Bool)):
                labels = [_label(v) for v in (p.values if isinstance(p, Choice) else (False, True))]
                axes.append({"name": name, "kind": "category", "labels": labels, "conditional": conditional})
            elif isinstance(p, (Float, Int)):
                axes.append({"name": name, "kind": "int" if isinstance(p, Int) else "float", "low": float(p.low),
                             "high": float(p.high), "log": bool(p.log), "conditional": conditional})
    extra: dict[str, list[Any]] = {}
    for t in trials:
        for k, v in t.params.items():
            if k not in seen:
                extra.setdefault(k, []).append(v)
    for name, vals in extra.items():
        if all(_finite(v) is not None for v in vals):
            nums = [float(v) for v in vals]
            axes.append({"name": name, "kind": "float", "low": min(nums), "high": max(nums), "log": False,
                         "conditional": len(vals) < len(trials)})
        else:
            labels = sorted({_label(v) for v in vals})
            axes.append({"name": name, "kind": "category", "labels": labels, "conditional": len(vals) < len(trials)})
    return axes


def _columns(trials: Sequence[Trial], axes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The trial table as columns (one list per field, one entry per trial, id order): id,
    state, value, budget, config, step (the last step a trial reported, where a pruned trial
    stopped; None without reports), seconds, and params: name -> value (None where inactive;
    categories as their labels)."""
    cols: dict[str, Any] = {"id": [], "state": [], "value": [], "budget": [], "config": [], "step": [],
                            "seconds": []}
    params: dict[str, list[Any]] = {a["name"]: [] for a in axes}
    categorical = {a["name"] for a in axes if a["kind"] == "category"}
    for t in trials:
        cols["id"].append(t.id)
        cols["state"].append(t.state.value)
        cols["value"].append(_shown_value(t.value))
        cols["budget"].append(_finite(t.budget))
        cols["config"].append(t.config_id)
        last = last_report(t)
        cols["step"].append(None if last is None else last[0])
        d = t.duration
        cols["seconds"].append(None if d is None else round(d, 4))
        for name, column in params.items():
            if name not in t.params:
                column.append(None)
            elif name in categorical:
                column.append(_label(t.params[name]))
            else:
                column.append(_finite(t.params[name]))
    cols["params"] = params
    return cols


def _history(trials: Sequence[Trial], direction: str) -> dict[str, Any]:
    """Best-so-far (at the largest budget with a result, as `best_trial` compares), the value
    axis window (`hpcore.plot_axes.value_window`, as in the PNG plots: "window" [low, high],
    "outside" values left out, "log" whether a log axis is the better view), and whether a log
    axis is possible at all ("positive": every value positive)."""
    ok = [t for t in trials if t.ok]
    if not ok:
        return {"best_ids": [], "best_values": [], "window": None, "outside": 0, "log": False, "positive": False,
                "top_budget": None}
    line = sorted(comparable_results(ok), key=lambda t: t.id)
    sign = 1.0 if direction == "minimize" else -1.0
    ids, best = [], []
    current = math.inf
    for t in line:
        if sign * t.value < current:  # type: ignore[operator]
            current = sign * t.value  # type: ignore[operator]
            ids.append(t.id)
            best.append(t.value)
    last = max(t.id for t in trials)
    if ids[-1] != last:  # the line runs on to the last trial
        ids.append(last)
        best.append(best[-1])
    shown = [t.value for t in ok] + [v for t in trials if t.state.value == "PRUNED" and (v := _finite(t.value)) is not None]
    values = np.array(shown, dtype=float)
    window = value_window(values, direction)
    budgets = [t.budget for t in ok if t.budget is not None]
    return {"best_ids": ids, "best_values": best, "window": [window.low, window.high], "outside": window.outside,
            "log": window.log, "positive": bool(values.min() > 0),
            "top_budget": _finite(max(budgets)) if budgets else None}


def _failures(trials: Sequence[Trial]) -> dict[str, Any]:
    """Failed trials grouped by their error text (whole, traceback included), first seen first."""
    groups: dict[str, list[Trial]] = {}
    for t in trials:
        if t.state is TrialState.FAILED:
            groups.setdefault(t.error or "(no error text stored)", []).append(t)
    items = [{"error": text, "ids": [t.id for t in ts], "interrupted": all(t.interrupted for t in ts)}
             for text, ts in groups.items()]
    return {"n_failed": sum(len(ts) for ts in groups.values()), "n_groups": len(items),
            "groups": items[:MAX_ERROR_GROUPS]}


def _plan(strategy: Mapping[str, Any]) -> str | None:
    if strategy.get("name") != "hyperband":
        return None
    from hpcore.hyperband_plan import format_plan, hyperband_plan

    try:
        text = format_plan(hyperband_plan(strategy.get("min_budget", 1), strategy.get("max_budget", 81),
                                          strategy.get("eta", 3)))
    except (TypeError, ValueError):
        return None
    iterations = strategy.get("iterations", 1)
    return text + (f"\n{iterations} iterations of this plan" if isinstance(iterations, int) and iterations > 1 else "")


def _trial_brief(t: Trial | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {"id": t.id, "value": _finite(t.value), "budget": _finite(t.budget),
            "params": {k: (_finite(v) if _finite(v) is not None else _label(v)) for k, v in t.params.items()}}


def _summary(record: StudyRecord, trials: Sequence[Trial], metric: str | None) -> dict[str, Any]:
    counts = Counter(t.state.value for t in trials)
    strategy = dict(record.strategy)
    name = strategy.pop("name", "?")
    starts = [t.started_at for t in trials if t.started_at is not None]
    ends = [t.finished_at for t in trials if t.finished_at is not None]
    durations = [d for t in trials if (d := t.duration) is not None]
    return {
        "direction": record.direction,
        "strategy": name,
        "settings": strategy,
        "seed": record.seed,
        "created_at": record.created_at,
        "n_trials": len(trials),
        "counts": {s.value: counts[s.value] for s in TrialState if counts[s.value]},
        "best": _trial_brief(best_trial(trials, record.direction)),
        "first_start": min(starts) if starts else None,
        "last_finish": max(ends) if ends else None,
        "trial_seconds": round(sum(durations), 3),
        "plan": _plan(record.strategy),
        "metric": metric,
    }


def _recommended(surrogate: Any, trials: Sequence[Trial], space: Space, record: StudyRecord) -> Trial | None:
    """The noise-aware recommendation (`hpcore.recommendation`): the result with the best
    posterior mean. Read off the importance's GP when it was fitted to the results that
    `best_trial` compares (one budget, the same for both: the usual case), else from a GP of
    its own (few results at the largest budget: a small fit)."""
    from hpcore.recommendation import posterior_best_of, posterior_best_trial
    from hpcore.report.importance import MODEL_POINTS

    candidates = comparable_results(trials)
    if not candidates:
        return None
    shared = not isinstance(surrogate, str) and all(t.ok for t in candidates) \
        and surrogate.budget == candidates[0].budget and len(surrogate.fitted) >= 4
    if not shared:
        return posterior_best_trial(trials, space, record.direction, seed=record.seed, max_points=MODEL_POINTS)
    mean, _ = surrogate.gp.predict_standardized(surrogate.U)
    losses = np.array([surrogate.sign * float(t.value) for t in surrogate.fitted])
    return posterior_best_of(surrogate.fitted, losses, mean)  # both on the loss scale


def model_section(record: StudyRecord, trials: Sequence[Trial]) -> dict[str, Any]:
    """What hpcore's GP says about the study: parameter importance (with its method named),
    the contour of the two most important numeric parameters through the best trial, and the
    noise-aware recommendation, all from one GP fit (`hpcore.report.importance`); the
    dashboard keeps this section until the results have grown (see `hpcore.report.server`).

    Returns {"n_results", "importance": {"shares", "interactions", "method"} or None,
    "contour": {...} or None, "recommended": a trial brief or None, "note": why something is
    missing, or None}."""
    from hpcore.report.importance import contour_slice, first_order_importance, fit_surrogate

    n_ok = sum(t.ok for t in trials)
    out: dict[str, Any] = {"n_results": n_ok, "importance": None, "contour": None, "recommended": None,
                           "note": None}
    space = _space_of(record)
    if space is None:
        out["note"] = "the study file holds no search space for this study, so there is no model"
        return out
    best = best_trial(trials, record.direction)
    surrogate = fit_surrogate(trials, space, record.direction, seed=record.seed)
    out["recommended"] = _trial_brief(_recommended(surrogate, trials, space, record))
    if isinstance(surrogate, str):
        out["note"] = surrogate
        return out
    imp = first_order_importance(surrogate, seed=record.seed)
    out["importance"] = {"shares": dict(imp.shares), "interactions": imp.interactions, "method": imp.method}
    ranked = sorted(imp.shares, key=lambda n: -imp.shares[n])
    at = best if best is not None and best.budget == surrogate.budget else best_trial(
        [t for t in trials if t.budget == surrogate.budget], record.direction)
    if at is None:
        return out
    numeric = [n for n in ranked if isinstance(space[n], (Float, Int)) and n in at.params]
    if len(numeric) < 2:
        out["note"] = "no contour: it needs two numeric parameters active in the best trial"
        return out
    c = contour_slice(surrogate, at.params, numeric[0], numeric[1])
    out["contour"] = {"x": c.x, "y": c.y, "xs": c.xs, "ys": c.ys, "z": c.z, "log_x": c.log_x, "log_y": c.log_y,
                      "at_trial": at.id, "budget": _finite(surrogate.budget)}
    return out


def study_payload(record: StudyRecord, trials: Sequence[Trial], *, version: int | None = None,
                  model: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The page's data for one study (see the module docstring). `model`: a `model_section`
    computed earlier (the dashboard reuses one between polls); computed here when None."""
    trials = sorted(trials, key=lambda t: t.id)
    space = _space_of(record)
    axes = _param_axes(space, trials)
    metric = metric_name(record.attrs, trials)  # as `hpcore plot` names it
    curves = learning_curves(trials, record.direction, metric)
    summary = _summary(record, trials, metric)
    return {
        "name": record.name,
        "generated_at": time.time(),
        "version": version,
        "summary": summary,
        "params": axes,
        "trials": _columns(trials, axes),
        "history": _history(trials, record.direction),
        "model": dict(model) if model is not None else model_section(record, trials),
        "rungs": hyperband_rungs(trials, record.direction),
        "curves": curves,
        "failures": _failures(trials),
    }
