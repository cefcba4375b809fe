"""Plots of a study: optimisation history, parameters against the objective, parallel coordinates
of the best trials, and Hyperband rungs.

Every function takes plain trial records (`hpcore.Trial`), so a study can be plotted from a
storage without re-creating its strategy, and writes one PNG. Figures are built on
matplotlib's object API with the Agg canvas, never through `pyplot`, so plotting changes no
global backend and keeps no figure alive after it is saved.

Readable at 10,000 trials: markers shrink and fade as the trial count grows and are rasterised
(one bitmap layer, not 10,000 vector paths), there is never a legend entry per trial, and the
value axis is cut at a high quantile when a few very bad trials would squash everything else
(the number of trials above the cut is written on the plot).

A study with no completed trial (empty, or all failed) gives an image that says so, and the
functions return that message as a note instead of raising.

matplotlib is the `plot` extra (`pip install 'hpcore[plot]'`); it is imported on first use.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hpcore.space import Bool, Choice, Fixed, Float, Int, Parameter, Space
from hpcore.trial import Trial, TrialState, best_trial

__all__ = [
    "MissingMatplotlib",
    "PlotReport",
    "best_trial",
    "message_figure",
    "new_figure",
    "plot_history",
    "plot_parallel",
    "plot_parameters",
    "plot_rungs",
    "plot_study",
    "save_figure",
]

#: Pixels per inch of saved PNGs.
DPI = 110


class MissingMatplotlib(ImportError):
    """Raised when a plot is asked for and matplotlib is not installed."""


@dataclass
class PlotReport:
    """What `plot_study` wrote: the PNG files, and notes for the user (e.g. "no completed trials")."""

    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# -- matplotlib plumbing ---------------------------------------------------------------------------
def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise MissingMatplotlib(
            "plots need matplotlib, which is not installed: pip install 'hpcore[plot]'"
        ) from None
    return matplotlib


def new_figure(width: float, height: float) -> Any:
    """A matplotlib `Figure` (width, height in inches) on the Agg canvas, outside pyplot."""
    _matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Any, path: str | Path) -> Path:
    """Write `fig` as PNG to `path` (folders created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=DPI)
    return path


def message_figure(path: str | Path, title: str, message: str) -> Path:
    """An image that only says something (e.g. why there is nothing to plot)."""
    fig = new_figure(6.4, 3.2)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, fontsize=12, transform=ax.transAxes)
    return save_figure(fig, path)


def _marker_style(n: int) -> dict[str, Any]:
    """Scatter settings that keep n points readable: smaller and more transparent as n grows."""
    alpha = float(np.clip(40.0 / math.sqrt(max(n, 1)), 0.12, 0.9))
    size = float(np.clip(400.0 / math.sqrt(max(n, 1)), 3.0, 36.0))
    return {"s": size, "alpha": alpha, "linewidths": 0, "rasterized": True}


# -- trial selection ---------------------------------------------------------------------------------
def _loss(t: Trial, direction: str) -> float:
    assert t.value is not None
    return t.value if direction == "minimize" else -t.value


def _nothing_to_plot(trials: Sequence[Trial]) -> str | None:
    if not trials:
        return "the study has no trials yet"
    if not any(t.ok for t in trials):
        failed = sum(t.state is TrialState.FAILED for t in trials)
        running = sum(t.state in (TrialState.RUNNING, TrialState.WAITING) for t in trials)
        parts = [f"{failed} failed"] if failed else []
        if running:
            parts.append(f"{running} running or waiting")
        return f"no completed trials ({', '.join(parts) or 'none finished'})"
    return None


def _value_window(values: np.ndarray, direction: str) -> tuple[float, float, int]:
    """Axis limits for objective values, cut at the 95th percentile of the losses when the worst
    values lie far beyond it; returns (low, high, number of values outside)."""
    lo, hi = float(values.min()), float(values.max())
    if len(values) >= 20:
        losses = values if direction == "minimize" else -values
        best, q95 = np.quantile(losses, [0.0, 0.95])
        spread = max(q95 - best, 1e-12)
        if losses.max() - best > 3 * spread:  # a long tail of bad values
            cut = float(q95 + 0.25 * spread)
            if direction == "minimize":
                hi = cut
            else:
                lo = -cut
    pad = 0.04 * max(hi - lo, abs(hi) * 1e-6, 1e-12)
    outside = int(np.sum((values < lo) | (values > hi)))
    return lo - pad, hi + pad, outside


def _note_outside(ax: Any, outside: int, direction: str) -> None:
    if outside:
        where = "above" if direction == "minimize" else "below"
        ax.text(0.99, 0.98 if where == "above" else 0.02, f"{outside:,} worse trials {where} the plotted range",
                transform=ax.transAxes, ha="right", va="top" if where == "above" else "bottom",
                fontsize=8, color="0.35")


# -- optimisation history ----------------------------------------------------------------------------
def plot_history(trials: Sequence[Trial], direction: str, path: str | Path, title: str = "") -> str | None:
    """Value per trial (dots) and best-so-far (line) against the trial number; failed trials as
    ticks along the bottom. Returns a note when there is nothing to plot (the image says so)."""
    heading = f"Optimisation history{': ' + title if title else ''}"
    empty = _nothing_to_plot(trials)
    if empty:
        message_figure(path, heading, empty)
        return f"{Path(path).name}: {empty}"
    ok = [t for t in trials if t.ok]
    ids = np.array([t.id for t in ok])
    values = np.array([t.value for t in ok], dtype=float)
    budgets = [float(t.budget) for t in ok if t.budget is not None]
    multi = bool(budgets)
    # With budgets, the best-so-far line follows the trials at the largest budget: values at
    # lower budgets are not comparable with it (the rule of `Study.best_trial`).
    top = max(budgets) if multi else None
    line = [t for t in ok if not multi or (t.budget is not None and float(t.budget) == top)]
    line_ids = np.array([t.id for t in line])
    line_losses = np.array([_loss(t, direction) for t in line])
    order = np.argsort(line_ids, kind="stable")
    best_so_far = np.minimum.accumulate(line_losses[order])
    if direction == "maximize":
        best_so_far = -best_so_far

    fig = new_figure(8.0, 4.5)
    ax = fig.add_subplot()
    if multi:  # colour by budget: low-budget values are not comparable with full-budget ones
        from matplotlib.colors import LogNorm, Normalize

        c = np.array([np.nan if t.budget is None else float(t.budget) for t in ok])
        lo_b, hi_b = min(budgets), max(budgets)
        norm = LogNorm(lo_b, hi_b) if lo_b > 0 and hi_b >= 3 * lo_b else Normalize(lo_b, max(hi_b, lo_b + 1e-9))
        sc = ax.scatter(ids, values, c=c, cmap="viridis", norm=norm, **_marker_style(len(ok)))
        cb = fig.colorbar(sc, ax=ax, label="budget")
        distinct = sorted(set(budgets))
        if len(distinct) <= 8:
            cb.set_ticks(distinct, labels=[f"{b:g}" for b in distinct])
            cb.minorticks_off()
    else:
        ax.scatter(ids, values, color="tab:blue", label=f"value ({len(ok):,} trials)", **_marker_style(len(ok)))
    best_label = f"best so far at budget {top:g}" if multi else "best so far"
    ax.step(line_ids[order], best_so_far, where="post", color="tab:red", linewidth=1.8, label=best_label)
    failed = [t.id for t in trials if t.state is TrialState.FAILED]
    if failed:
        ax.scatter(failed, np.zeros(len(failed)), marker="|", color="0.3", s=60, alpha=0.6,
                   transform=ax.get_xaxis_transform(), rasterized=True, label=f"failed ({len(failed):,})")
    lo, hi, outside = _value_window(values, direction)
    ax.set_ylim(lo, hi)
    _note_outside(ax, outside, direction)
    ax.set_xlabel("trial number")
    ax.set_ylabel(f"objective ({direction})")
    ax.set_title(heading)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right" if direction == "maximize" else "upper center", fontsize=8, framealpha=0.8)
    save_figure(fig, path)
    return None


# -- parameters against the objective ----------------------------------------------------------------
def _infer_space(trials: Sequence[Trial]) -> Space:
    """A space guessed from the parameter values, for trials stored without one."""
    seen: dict[str, list] = {}
    for t in trials:
        for k, v in t.params.items():
            seen.setdefault(k, []).append(v)
    params: dict[str, Parameter] = {}
    for k, vals in seen.items():
        if all(isinstance(v, bool) for v in vals):
            params[k] = Bool()
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            lo, hi = float(min(vals)), float(max(vals))
            params[k] = Float(lo, hi if hi > lo else lo + 1.0)
        else:
            params[k] = Choice(sorted({str(v) for v in vals}))
    return Space(params)


def _categories(p: Parameter) -> list:
    return list(p.values) if isinstance(p, Choice) else [False, True]


def _category_index(p: Parameter, v: Any) -> float:
    if isinstance(p, Choice):
        try:
            return float(p.index(v))
        except (KeyError, TypeError):
            return math.nan
    return 1.0 if v else 0.0


def _plotted_params(space: Space) -> list[str]:
    return [n for n in space if not isinstance(space[n], Fixed)]


def _tunable_trials(trials: Sequence[Trial], space: Space | None, heading: str,
                    path: str | Path) -> tuple[list[Trial], Space, list[str]] | str:
    """(OK trials, space, plotted parameter names), or the note of a message figure written to
    `path` when there is nothing to plot."""
    empty = _nothing_to_plot(trials)
    ok = [t for t in trials if t.ok]
    space = space if space is not None else _infer_space(ok)
    names = _plotted_params(space)
    if not empty and not names:
        empty = "the space has no tunable parameters"
    if empty:
        message_figure(path, heading, empty)
        return f"{Path(path).name}: {empty}"
    return ok, space, names


def plot_parameters(trials: Sequence[Trial], space: Space | None, direction: str, path: str | Path,
                    title: str = "") -> str | None:
    """One panel per parameter: objective against the parameter value (log axis for log
    parameters, jittered strips for choices and booleans), coloured by trial number, the best
    trial starred. Trials where a conditional parameter is inactive are left out of its panel."""
    heading = f"Parameters against the objective{': ' + title if title else ''}"
    prepared = _tunable_trials(trials, space, heading, path)
    if isinstance(prepared, str):
        return prepared
    ok, space, names = prepared
    best = best_trial(trials, direction)
    values_all = np.array([t.value for t in ok], dtype=float)
    lo, hi, outside = _value_window(values_all, direction)
    ncols = min(3, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig = new_figure(4.2 * ncols + 0.8, 3.3 * nrows + 0.6)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    rng = np.random.default_rng(0)  # jitter only; fixed so the same study gives the same image
    n_max = max(t.id for t in ok)
    sc = None
    for k, name in enumerate(names):
        ax = axes[k // ncols][k % ncols]
        p = space[name]
        rows = [t for t in ok if name in t.params]
        y = np.array([t.value for t in rows], dtype=float)
        c = np.array([t.id for t in rows], dtype=float)
        style = _marker_style(len(rows))
        if isinstance(p, (Choice, Bool)):
            cats = _categories(p)
            x = np.array([_category_index(p, t.params[name]) for t in rows])
            xj = x + rng.uniform(-0.28, 0.28, size=len(x))
            sc = ax.scatter(xj, y, c=c, cmap="viridis", vmin=0, vmax=max(n_max, 1), **style)
            for i in range(len(cats)):  # median per category: the strip's summary
                sel = y[x == i]
                if len(sel):
                    ax.hlines(np.median(sel), i - 0.35, i + 0.35, color="tab:red", linewidth=1.5)
            ax.set_xticks(range(len(cats)))
            ax.set_xticklabels([str(v) for v in cats], rotation=30 if len(cats) > 4 else 0, fontsize=8)
            ax.set_xlim(-0.6, len(cats) - 0.4)
            if best is not None and name in best.params:
                ax.scatter([_category_index(p, best.params[name])], [best.value], marker="*", s=160,
                           color="tab:red", edgecolors="k", linewidths=0.6, zorder=5)
        else:
            x = np.array([float(t.params[name]) for t in rows])
            if isinstance(p, Int) and not p.log and p.size <= 30:
                x = x + rng.uniform(-0.25, 0.25, size=len(x)) * p.step  # strips, not bars
            sc = ax.scatter(x, y, c=c, cmap="viridis", vmin=0, vmax=max(n_max, 1), **style)
            if isinstance(p, (Float, Int)):
                if p.log:
                    ax.set_xscale("log")
                lo_x, hi_x = _padded(p.low, p.high, p.log)
                if isinstance(p, Int) and not p.log:  # room for the jittered strips at both ends
                    lo_x, hi_x = min(lo_x, p.low - 0.5 * p.step), max(hi_x, p.high + 0.5 * p.step)
                ax.set_xlim(lo_x, hi_x)
            if best is not None and name in best.params:
                ax.scatter([float(best.params[name])], [best.value], marker="*", s=160, color="tab:red",
                           edgecolors="k", linewidths=0.6, zorder=5)
        ax.set_ylim(lo, hi)
        inactive = len(ok) - len(rows)
        ax.set_xlabel(name + (f"  ({inactive:,} inactive)" if inactive else ""))
        ax.grid(alpha=0.3)
        if k % ncols == 0:
            ax.set_ylabel("objective")
    for k in range(len(names), nrows * ncols):
        axes[k // ncols][k % ncols].set_axis_off()
    if sc is not None:
        fig.colorbar(sc, ax=axes, label="trial number", shrink=0.8)
    _note_outside(axes[0][0], outside, direction)
    fig.suptitle(heading + ("  (red star: best trial)" if best is not None else ""))
    save_figure(fig, path)
    return None


def _padded(low: float, high: float, log: bool) -> tuple[float, float]:
    if log:
        f = (high / low) ** 0.03
        return low / f, high * f
    pad = 0.03 * (high - low)
    return low - pad, high + pad


# -- parallel coordinates ------------------------------------------------------------------------------
#: Height at which parallel coordinates draw an inactive (conditional) parameter, below its axis.
INACTIVE_POSITION = -0.12


def _axis_position(p: Parameter, v: Any) -> float:
    """A parameter value -> [0, 1] on its parallel-coordinates axis (NaN when unknown)."""
    if isinstance(p, (Choice, Bool)):
        k = len(_categories(p))
        i = _category_index(p, v)
        return 0.5 if k == 1 else i / (k - 1)
    try:
        x = float(v)
    except (TypeError, ValueError):
        return math.nan
    if isinstance(p, (Float, Int)):
        if p.log:
            return (math.log(x) - math.log(p.low)) / (math.log(p.high) - math.log(p.low))
        return (x / 2 - p.low / 2) / (p.high / 2 - p.low / 2)  # halves: no overflow at ±1e308
    return math.nan


def _axis_ticks(p: Parameter) -> list[tuple[float, str]]:
    if isinstance(p, (Choice, Bool)):
        cats = _categories(p)
        return [(_axis_position(p, v), str(v)) for v in cats]
    if isinstance(p, (Float, Int)):
        return [(0.0, f"{p.low:.3g}"), (1.0, f"{p.high:.3g}")]
    return []


def plot_parallel(trials: Sequence[Trial], space: Space | None, direction: str, path: str | Path,
                  top: int | None = None, title: str = "") -> str | None:
    """Parallel coordinates of the best `top` trials (default: the best 10%, between 10 and 100):
    one vertical axis per parameter and one for the objective, one line per trial coloured by its
    value (darker is better), no legend. Inactive parameters break the line."""
    heading = f"Best trials, parallel coordinates{': ' + title if title else ''}"
    prepared = _tunable_trials(trials, space, heading, path)
    if isinstance(prepared, str):
        return prepared
    ok, space, names = prepared
    # With budgets, only trials at the top budget are comparable.
    budgets = [t.budget for t in ok if t.budget is not None]
    if budgets:
        ok = [t for t in ok if t.budget == max(budgets)]
    if top is None:
        top = int(np.clip(len(ok) // 10, 10, 100))
    chosen = sorted(ok, key=lambda t: _loss(t, direction))[:max(top, 1)]
    values = np.array([t.value for t in chosen], dtype=float)
    vlo, vhi = float(values.min()), float(values.max())
    span = vhi - vlo if vhi > vlo else 1.0
    n_axes = len(names) + 1
    # Drawn worst first, so the best lines end up on top.
    chosen = chosen[::-1]
    values = values[::-1]
    coords = np.full((len(chosen), n_axes), INACTIVE_POSITION)
    for i, t in enumerate(chosen):
        for j, name in enumerate(names):
            if name in t.params:
                coords[i, j] = _axis_position(space[name], t.params[name])
        coords[i, -1] = (t.value - vlo) / span if vhi > vlo else 0.5
    has_inactive = (coords[:, :-1] == INACTIVE_POSITION).any(axis=0)
    from matplotlib.collections import LineCollection

    fig = new_figure(max(6.5, 1.5 * n_axes + 1.5), 4.8)
    ax = fig.add_subplot()
    # Colour by rank (0 = best): values of the best trials are often bunched near the optimum,
    # and a linear colour scale would paint nearly all of them the same.
    quality = np.linspace(1.0, 0.0, len(chosen)) if len(chosen) > 1 else np.zeros(1)
    segments, colours = [], []
    for i in range(len(chosen)):
        for j in range(n_axes - 1):
            a, b = coords[i, j], coords[i, j + 1]
            if not (math.isnan(a) or math.isnan(b)):
                segments.append([(j, a), (j + 1, b)])
                colours.append(quality[i])
    cmap = "viridis"
    lc = LineCollection(segments, array=np.array(colours), cmap=cmap, linewidths=1.2,
                        alpha=float(np.clip(6.0 / math.sqrt(len(chosen)), 0.25, 0.9)), rasterized=True)
    lc.set_clim(0.0, 1.0)
    ax.add_collection(lc)
    for j in range(n_axes):
        ax.axvline(j, color="0.2", linewidth=0.8)
    for j, name in enumerate(names):
        ticks = _axis_ticks(space[name]) + ([(INACTIVE_POSITION, "(inactive)")] if has_inactive[j] else [])
        for pos, label in ticks:
            ax.text(j + 0.04, pos, label, fontsize=7, va="center", color="0.25")
    ax.text(n_axes - 1 + 0.04, 0.0, f"{vlo:.4g}", fontsize=7, va="center")
    ax.text(n_axes - 1 + 0.04, 1.0, f"{vhi:.4g}", fontsize=7, va="center")
    ax.set_xticks(range(n_axes))
    labels = [n + (" (log)" if isinstance(space[n], (Float, Int)) and space[n].log else "") for n in names]
    ax.set_xticklabels(labels + ["objective"], rotation=20, fontsize=9)
    ax.set_yticks([])
    ax.set_xlim(-0.2, n_axes - 0.5)
    ax.set_ylim(INACTIVE_POSITION - 0.06 if has_inactive.any() else -0.06, 1.06)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    cb = fig.colorbar(lc, ax=ax, shrink=0.8, ticks=[0, 1])
    cb.ax.set_yticklabels(["best", "worst shown"])
    cb.solids.set_alpha(1.0)
    budget_note = f" at budget {max(budgets)}" if budgets else ""
    ax.set_title(f"{heading}\nbest {len(chosen):,} of {len(ok):,} completed trials{budget_note}", fontsize=10)
    save_figure(fig, path)
    return None


# -- Hyperband rungs --------------------------------------------------------------------------------
def plot_rungs(trials: Sequence[Trial], direction: str, path: str | Path, title: str = "") -> str | None:
    """Value against budget, one line per configuration (`config_id`) joining its rungs; lines
    of configurations promoted further are drawn darker and on top. Only trials with a budget."""
    heading = f"Rungs: value against budget{': ' + title if title else ''}"
    with_budget = [t for t in trials if t.budget is not None]
    empty = _nothing_to_plot(with_budget) if with_budget else "no trial has a budget (not a multi-fidelity study)"
    if empty:
        message_figure(path, heading, empty)
        return f"{Path(path).name}: {empty}"
    ok = [t for t in with_budget if t.ok]
    groups: dict[Any, list[Trial]] = {}
    for t in ok:
        groups.setdefault(("c", t.config_id) if t.config_id is not None else ("t", t.id), []).append(t)
    all_budgets = sorted({float(t.budget) for t in ok})  # type: ignore[arg-type]
    level = {b: i for i, b in enumerate(all_budgets)}
    top_level = max(len(all_budgets) - 1, 1)
    lines: list[tuple[int, np.ndarray]] = []
    for g in groups.values():
        g.sort(key=lambda t: (float(t.budget), t.id))  # type: ignore[arg-type]
        pts = np.array([(float(t.budget), float(t.value)) for t in g])  # type: ignore[arg-type]
        lines.append((level[pts[-1, 0]], pts))
    lines.sort(key=lambda item: item[0])  # furthest-promoted last, i.e. on top
    from matplotlib.collections import LineCollection

    fig = new_figure(8.0, 4.8)
    ax = fig.add_subplot()
    multi_point = [pts for _, pts in lines if len(pts) > 1]
    reached = np.array([lv for lv, pts in lines if len(pts) > 1], dtype=float)
    if multi_point:
        lc = LineCollection(multi_point, array=reached / top_level, cmap="plasma_r", linewidths=1.0,
                            alpha=float(np.clip(8.0 / math.sqrt(len(multi_point)), 0.15, 0.8)), rasterized=True)
        lc.set_clim(0.0, 1.0)
        ax.add_collection(lc)
    b = np.array([float(t.budget) for t in ok])  # type: ignore[arg-type]
    v = np.array([float(t.value) for t in ok])  # type: ignore[arg-type]
    # Offset the dots a little within each budget so thousands of them do not form one bar.
    jitter = np.random.default_rng(0).uniform(-0.06, 0.06, size=len(b))
    xb = b * np.exp(jitter) if len(all_budgets) > 1 else b + jitter
    ax.scatter(xb, v, color="0.25", zorder=3, **_marker_style(len(ok)))
    best = best_trial(ok, direction)
    if best is not None and best.config_id is not None:
        g = groups.get(("c", best.config_id), [best])
        ax.plot([float(t.budget) for t in g], [t.value for t in g], color="tab:red",  # type: ignore[arg-type]
                marker="*", markersize=10, linewidth=2, zorder=5, label=f"best configuration (#{best.config_id})")
        ax.legend(fontsize=8, loc="best")
    if len(all_budgets) > 1 and all_budgets[0] > 0:
        ax.set_xscale("log")
        ax.set_xticks(all_budgets)
        ax.set_xticklabels([f"{x:g}" for x in all_budgets])
        ax.minorticks_off()
    lo, hi, outside = _value_window(v, direction)
    ax.set_ylim(lo, hi)
    _note_outside(ax, outside, direction)
    ax.set_xlabel("budget")
    ax.set_ylabel(f"objective ({direction})")
    ax.set_title(f"{heading}\n{len(groups):,} configurations, {len(ok):,} completed trials"
                 " (darker lines: promoted further)", fontsize=10)
    ax.grid(alpha=0.3)
    save_figure(fig, path)
    return None


# -- everything at once --------------------------------------------------------------------------------
def plot_study(trials: Sequence[Trial], space: Space | Mapping[str, Any] | None, direction: str,
               out_dir: str | Path, name: str = "study") -> PlotReport:
    """Write the history, parameter, parallel-coordinates and (with budgets) rung plots of one
    study into `out_dir` as `<name>_history.png` etc. `space` may be a `Space` or its dict form."""
    if isinstance(space, Mapping) and not isinstance(space, Space):
        space = Space.from_dict(space)
    out = Path(out_dir)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "study"
    report = PlotReport()
    jobs = [
        ("history", lambda p: plot_history(trials, direction, p, title=name)),
        ("params", lambda p: plot_parameters(trials, space, direction, p, title=name)),
        ("parallel", lambda p: plot_parallel(trials, space, direction, p, title=name)),
    ]
    if any(t.budget is not None for t in trials):
        jobs.append(("rungs", lambda p: plot_rungs(trials, direction, p, title=name)))
    for kind, fn in jobs:
        path = out / f"{safe}_{kind}.png"
        note = fn(path)
        report.files.append(path)
        if note:
            report.notes.append(note)
    return report
