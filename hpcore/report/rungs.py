"""Hyperband rungs of a study: which configuration was promoted where, by trial id.

A trial made by Hyperband carries `meta = {"iteration", "bracket", "rung"}` and the
`config_id` that stays the same across promotions (see `hpcore.strategies.hyperband`). Grouped
by bracket run (iteration, bracket) and configuration, the trials show each configuration's
path through the rungs under the trial ids that every other view prints. Trials with a budget
but no Hyperband meta (added by hand, another multi-fidelity strategy) form one group of their
own, joined by `config_id` where they have one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from hpcore.trial import Trial

__all__ = ["hyperband_rungs"]


def _int(meta: Any, key: str) -> int | None:
    v = meta.get(key)
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _number(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def hyperband_rungs(trials: Sequence[Trial], direction: str) -> list[dict[str, Any]]:
    """Bracket runs in the order they started, each a JSON-ready dict:

    iteration, bracket (None for trials outside Hyperband's plan), budgets (the rung budgets
    seen, increasing), configs: one per configuration, furthest-promoted and best first, each
    with `config` (its id, or None), `reached` (index of the highest rung it ran at) and
    `trials` ({id, rung, budget, value, state}, by rung). Empty when no trial has a budget.
    """
    sign = 1.0 if direction == "minimize" else -1.0
    runs: dict[tuple, dict[tuple, list[Trial]]] = {}
    for t in sorted(trials, key=lambda t: t.id):
        if t.budget is None or t.reserved:
            continue
        it, s = _int(t.meta, "iteration"), _int(t.meta, "bracket")
        inside = s is not None and _int(t.meta, "rung") is not None
        run_key = (it, s) if inside else (None, None)
        config_key = ("c", t.config_id) if t.config_id is not None else ("t", t.id)
        runs.setdefault(run_key, {}).setdefault(config_key, []).append(t)
    out = []
    for (it, s), configs in runs.items():
        budgets = sorted({float(t.budget) for ts in configs.values() for t in ts})  # type: ignore[arg-type]
        level = {b: i for i, b in enumerate(budgets)}
        rows = []
        for ts in configs.values():
            ts.sort(key=lambda t: (float(t.budget), t.id))  # type: ignore[arg-type]
            entries = [{"id": t.id, "rung": level[float(t.budget)], "budget": _number(t.budget),  # type: ignore[arg-type]
                        "value": _number(t.value), "state": t.state.value} for t in ts]
            top = entries[-1]
            score = sign * top["value"] if top["value"] is not None and top["state"] == "COMPLETE" else math.inf
            rows.append((-top["rung"], score, ts[0].id, {"config": ts[0].config_id, "reached": top["rung"],
                                                          "trials": entries}))
        rows.sort(key=lambda r: r[:3])
        out.append({"iteration": it, "bracket": s, "budgets": budgets, "configs": [r[3] for r in rows]})
    return out
