"""Plots of a study as PNG files: optimisation history, parameters against the value, parallel
coordinates of the best trials, Hyperband rungs, and learning curves.

Every plot has a builder (`history_figure`, ...) that returns a matplotlib `Figure`, or the
reason there is nothing to draw, and a writer (`plot_history`, ...) that saves it (or an image
saying why there is nothing) as one PNG. They take plain trial records (`hpcore.Trial`), so a
study can be plotted from a storage without re-creating its strategy. Figures are built on
matplotlib's object API with the Agg canvas, never through `pyplot`, so plotting changes no
global backend and keeps no figure alive after it is saved.

What every plot keeps to:
- legends sit outside the axes, so they never cover a point;
- the value axis is named after the metric when it is known (`metric=`, see
  `hpcore.curves.metric_name`) and says which way is better;
- its range is not set by a few far worse trials (`hpcore.plot_axes.value_window`: they are
  counted on the plot), and goes to a log scale when the values span decades;
- log axes are labelled at a few round numbers, never at every minor tick;
- with budgets (multi-fidelity), trials are coloured by budget with a labelled colour bar and
  drawn with one marker per budget; the history has one panel per budget;
- trials are named by their id, the number every printed line uses;
- PRUNED trials have a marker of their own, and are named in the legend.

Readable at 10,000 trials (and 1,000 learning curves): markers and lines thin and fade as the
count grows and are rasterised (one bitmap layer, not 10,000 vector paths), and there is never
a legend entry per trial.

A study with nothing to draw (no trials, all failed) gives an image that says so, and the
writers return that message as a note instead of raising.

matplotlib is the `plot` extra (`pip install 'hpcore[plot]'`); it is imported on first use.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hpcore.curves import Curve, learning_curve, metric_name
from hpcore.plot_axes import (
    ValueWindow,
    apply_value_window,
    log_ticks,
    set_log_ticks,
    tick_text,
    value_label,
    value_window,
)
from hpcore.space import Bool, Choice, Fixed, Float, Int, Parameter, Space
from hpcore.trial import Trial, TrialState, best_trial, comparable_results

__all__ = [
    "MissingMatplotlib",
    "PlotReport",
    "best_trial",
    "curves_figure",
    "history_figure",
    "legend_below",
    "message_figure",
    "metric_name",
    "new_figure",
    "parallel_figure",
    "parameters_figure",
    "plot_curves",
    "plot_history",
    "plot_parallel",
    "plot_parameters",
    "plot_rungs",
    "plot_study",
    "rungs_figure",
    "save_figure",
]

#: Pixels per inch of saved PNGs.
DPI = 110

#: A history with at most this many distinct budgets gets one panel per budget.
MAX_BUDGET_PANELS = 6

#: Markers of the budgets, smallest budget first ("x" is kept for pruned trials).
BUDGET_MARKERS = ("o", "^", "s", "D", "v", "P", "h", "<", ">", "p")

#: Learning curves drawn in colour and named in the legend: the best few.
HIGHLIGHTED_CURVES = 3

PRUNED_STYLE = {"marker": "x", "color": "tab:orange", "linewidths": 1.2}
BEST_STYLE = {"marker": "*", "s": 180, "color": "tab:red", "edgecolors": "k", "linewidths": 0.6, "zorder": 6}


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
    """A matplotlib `Figure` (width, height in inches) on the Agg canvas, outside pyplot, with
    constrained layout (titles, colour bars and `loc="outside ..."` legends fit the canvas)."""
    _matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Any, path: str | Path) -> Path:
    """Write `fig` as PNG to `path` (folders created); returns the path. The image is the whole
    canvas, which constrained layout (`new_figure`) fits titles, legends and colour bars into
    (tests check each plot: a `bbox_inches="tight"` crop would cost a second layout pass)."""
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


def _write(path: str | Path, heading: str, drawn: Any) -> str | None:
    """Save a builder's figure to `path`, or a message image when it returned a reason."""
    if isinstance(drawn, str):
        message_figure(path, heading, drawn)
        return f"{Path(path).name}: {drawn}"
    save_figure(drawn, path)
    return None


def _marker_style(n: int) -> dict[str, Any]:
    """Scatter settings that keep n points readable: smaller and more transparent as n grows."""
    alpha = float(np.clip(40.0 / math.sqrt(max(n, 1)), 0.12, 0.9))
    size = float(np.clip(400.0 / math.sqrt(max(n, 1)), 3.0, 36.0))
    return {"s": size, "alpha": alpha, "linewidths": 0, "rasterized": True}


def _pruned_style(n: int) -> dict[str, Any]:
    """Crosses for n pruned trials, under the completed ones and fading as n grows."""
    style = _marker_style(n)
    return {**PRUNED_STYLE, "s": style["s"] * 0.8, "alpha": style["alpha"], "zorder": 1.5, "rasterized": True}


#: Legend text at 8 pt: inches per character (a generous average) and per entry (handle, gaps).
_LEGEND_CHAR, _LEGEND_ENTRY = 0.068, 0.5


def _legend_columns(labels: Sequence[str], width: float) -> int:
    """The most columns for which a legend of `labels` is narrower than `width` inches
    (matplotlib fills the columns one after the other)."""
    n = len(labels)
    for k in range(n, 1, -1):
        rows = math.ceil(n / k)
        columns = [labels[i:i + rows] for i in range(0, n, rows)]
        if sum(_LEGEND_ENTRY + _LEGEND_CHAR * max(map(len, c)) for c in columns) <= 0.95 * width:
            return k
    return 1


def legend_below(fig: Any, handles: Sequence[Any], labels: Sequence[str]) -> None:
    """One legend for `fig`, under its plots (so it covers no point), in as many columns as fit
    the figure's width."""
    if handles:
        ncols = _legend_columns(labels, fig.get_size_inches()[0])
        legend = fig.legend(handles, labels, loc="outside lower center", ncols=ncols, fontsize=8, frameon=False)
        for h in legend.legend_handles:  # faded, tiny markers of a 10,000-trial scatter, shown solid
            if h is None:
                continue
            h.set_alpha(1.0)
            if hasattr(h, "get_sizes") and len(h.get_sizes()) and max(h.get_sizes()) < 16:
                h.set_sizes([16.0])


def _heading(what: str, title: str) -> str:
    return f"{what}{': ' + title if title else ''}"


# -- trial selection ---------------------------------------------------------------------------------
def _loss(t: Trial, direction: str) -> float:
    assert t.value is not None
    return t.value if direction == "minimize" else -t.value


def _pruned(trials: Sequence[Trial]) -> list[Trial]:
    """PRUNED trials with a finite last value (the position they are drawn at)."""
    return [t for t in trials if t.state is TrialState.PRUNED and t.value is not None and math.isfinite(t.value)]


def _nothing_to_plot(trials: Sequence[Trial]) -> str | None:
    if not trials:
        return "the study has no trials yet"
    if not any(t.ok for t in trials):
        counts = [(sum(t.state is s for t in trials), s.value.lower()) for s in (TrialState.FAILED, TrialState.PRUNED)]
        parts = [f"{n} {name}" for n, name in counts if n]
        running = sum(t.state in (TrialState.RUNNING, TrialState.WAITING) for t in trials)
        if running:
            parts.append(f"{running} running or waiting")
        return f"no completed trials ({', '.join(parts) or 'none finished'})"
    return None


# -- budgets ---------------------------------------------------------------------------------------------
class _Budgets:
    """The budgets of a multi-fidelity study and how each is drawn: a colour on a colour bar
    labelled "budget" (discrete for a few budgets, log-scaled for many) and a marker."""

    def __init__(self, trials: Sequence[Trial]) -> None:
        from matplotlib import colormaps
        from matplotlib.colors import BoundaryNorm, ListedColormap, LogNorm, Normalize

        self.values = sorted({float(t.budget) for t in trials if t.budget is not None})
        self.discrete = len(self.values) <= len(BUDGET_MARKERS)
        base = colormaps["viridis"]
        if self.discrete:
            k = len(self.values)
            self.cmap = ListedColormap([base(x) for x in np.linspace(0.05, 0.9, k)] if k > 1 else [base(0.5)])
            self.norm = BoundaryNorm(np.arange(-0.5, k, 1.0), self.cmap.N)
        else:
            self.cmap = base
            lo, hi = self.values[0], self.values[-1]
            self.norm = LogNorm(lo, hi) if lo > 0 else Normalize(lo, hi)

    @property
    def top(self) -> float:
        return self.values[-1]

    def scalar(self, budget: float) -> float:
        """What the colour map is indexed with for `budget`."""
        return float(self.values.index(budget)) if self.discrete else budget

    def colour(self, budget: float) -> Any:
        return self.cmap(self.norm(self.scalar(budget)))

    def marker(self, budget: float) -> str:
        return BUDGET_MARKERS[self.values.index(budget)] if self.discrete else "o"

    def colorbar(self, fig: Any, axes: Any) -> Any:
        from matplotlib.cm import ScalarMappable

        cb = fig.colorbar(ScalarMappable(norm=self.norm, cmap=self.cmap), ax=axes, label="budget", shrink=0.9)
        if self.discrete:
            cb.set_ticks(range(len(self.values)), labels=[f"{b:g}" for b in self.values])
            cb.minorticks_off()
        return cb


def _budget_of(t: Trial) -> float | None:
    return None if t.budget is None else float(t.budget)


# -- optimisation history ----------------------------------------------------------------------------
def _draw_history(ax: Any, trials: Sequence[Trial], ok: Sequence[Trial], direction: str, colour: Any,
                  marker: str, label: str, best: Trial | None) -> ValueWindow:
    """One history panel: values, best-so-far, pruned and failed trials; returns its window."""
    ids = np.array([t.id for t in ok], dtype=float)
    values = np.array([t.value for t in ok], dtype=float)
    ax.scatter(ids, values, color=colour, marker=marker, label=label, zorder=2, **_marker_style(len(ok)))
    order = np.argsort(ids, kind="stable")
    losses = np.array([_loss(t, direction) for t in ok])[order]
    best_so_far = np.minimum.accumulate(losses) * (1.0 if direction == "minimize" else -1.0)
    # Carried on to the last trial of the panel, so the line ends where the study is now.
    last = max(t.id for t in trials)
    ax.step(np.append(ids[order], last), np.append(best_so_far, best_so_far[-1]), where="post",
            color="tab:red", linewidth=1.8, label="best so far", zorder=4)
    pruned = _pruned(trials)
    if pruned:
        ax.scatter([t.id for t in pruned], [t.value for t in pruned], label=f"pruned ({len(pruned):,}; last reported value)",
                   **_pruned_style(len(pruned)))
    failed = [t.id for t in trials if t.state is TrialState.FAILED]
    if failed:
        ax.scatter(failed, np.zeros(len(failed)), marker="|", color="0.3", s=60, alpha=0.6, clip_on=False,
                   transform=ax.get_xaxis_transform(), rasterized=True, label=f"failed ({len(failed):,})")
    if best is not None and any(t.id == best.id for t in ok):
        ax.scatter([best.id], [best.value], label=f"best: trial {best.id}", **BEST_STYLE)
    window = value_window(np.concatenate([values, [t.value for t in pruned]]), direction)
    apply_value_window(ax, window)
    ax.grid(alpha=0.3)
    return window


def _outside_note(outside: int, direction: str) -> str:
    """Says how many trials the value axis leaves out (put in a title, where it covers nothing)."""
    if not outside:
        return ""
    where = "above" if direction == "minimize" else "below"
    return f"{outside:,} far worse trial{'s' if outside > 1 else ''} {where} the plotted range"


def _with_note(heading: str, *notes: str) -> str:
    return "\n".join([heading, *(n for n in notes if n)])


def history_figure(trials: Sequence[Trial], direction: str, metric: str | None = None, title: str = "") -> Any:
    """Value per trial (dots) and best-so-far (line) against the trial id; the best trial
    starred, PRUNED trials as crosses at their last reported value, FAILED ones as ticks along
    the bottom. With budgets: one panel per budget (largest on top; the best-so-far of each
    panel is at its budget), colours and markers by budget. Returns a `Figure`, or the reason
    there is nothing to draw."""
    empty = _nothing_to_plot(trials)
    if empty:
        return empty
    ok = [t for t in trials if t.ok]
    best = best_trial(trials, direction)
    heading = _heading("Optimisation history", title)
    ylabel = value_label(metric, direction)
    if not any(t.budget is not None for t in trials):
        fig = new_figure(8.0, 4.6)
        ax = fig.add_subplot()
        window = _draw_history(ax, trials, ok, direction, "tab:blue", "o", f"completed ({len(ok):,})", best)
        ax.set_ylabel(ylabel)
        ax.set_xlabel("trial")
        ax.set_title(_with_note(heading, _outside_note(window.outside, direction)),
                     fontsize=11 if window.outside else None)
        legend_below(fig, *ax.get_legend_handles_labels())
        return fig
    budgets = _Budgets([t for t in trials if t.ok])
    # A trial without a budget (or at one with no result) in a multi-fidelity study has no place
    # on the budget axis or panels: counted, not drawn.
    unplaced = sum(_budget_of(t) not in budgets.values for t in ok + _pruned(trials))
    unplaced_note = f"{unplaced:,} trial{'s' if unplaced > 1 else ''} without a budget not shown" if unplaced else ""
    if len(budgets.values) > MAX_BUDGET_PANELS:  # many budgets: one axis, coloured by budget
        fig = new_figure(8.6, 4.8)
        ax = fig.add_subplot()
        top = [t for t in ok if _budget_of(t) == budgets.top]
        window = _draw_history(ax, trials, top, direction, budgets.colour(budgets.top), "o",
                               f"at budget {budgets.top:g} ({len(top):,})", best)
        rest = [t for t in ok if _budget_of(t) in budgets.values[:-1]]
        if rest:
            ax.scatter([t.id for t in rest], [t.value for t in rest], c=[budgets.scalar(t.budget) for t in rest],
                       cmap=budgets.cmap, norm=budgets.norm, label=f"at lower budgets ({len(rest):,})",
                       **_marker_style(len(ok)))
            # the window of every value drawn, not only the top budget's
            window = value_window(np.array([t.value for t in top + rest + _pruned(trials)], dtype=float), direction)
            apply_value_window(ax, window)
        budgets.colorbar(fig, ax)
        ax.set_ylabel(ylabel)
        ax.set_xlabel("trial")
        ax.set_title(_with_note(heading, f"best so far at budget {budgets.top:g}",
                                _outside_note(window.outside, direction), unplaced_note), fontsize=11)
        legend_below(fig, *ax.get_legend_handles_labels())
        return fig
    rows = budgets.values[::-1]  # the largest budget on top: the comparable results
    fig = new_figure(8.6, 1.1 + 2.1 * len(rows))
    axes = fig.subplots(len(rows), 1, sharex=True, squeeze=False)[:, 0]
    entries: dict[str, Any] = {}
    outside = 0
    for ax, b in zip(axes, rows, strict=True):
        at_b = [t for t in trials if _budget_of(t) == b]
        ok_b = [t for t in at_b if t.ok]
        outside += _draw_history(ax, at_b, ok_b, direction, budgets.colour(b), budgets.marker(b),
                                 f"budget {b:g}", best if b == budgets.top else None).outside
        ax.set_ylabel(f"budget {b:g}\n({len(ok_b):,} completed)", fontsize=9)
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            key = lab.split(" (")[0] if lab.startswith(("pruned", "failed")) else lab  # counted per panel
            entries.setdefault(key, h)
    axes[-1].set_xlabel("trial")
    fig.supylabel(ylabel, fontsize=10)
    budgets.colorbar(fig, axes)
    fig.suptitle(_with_note(heading, "one panel per budget (values at different budgets are not comparable)",
                            _outside_note(outside, direction), unplaced_note), fontsize=11)
    order = [f"budget {b:g}" for b in budgets.values] + ["best so far", "pruned", "failed"]
    names = sorted(entries, key=lambda k: order.index(k) if k in order else len(order))
    legend_below(fig, [entries[k] for k in names], names)
    return fig


def plot_history(trials: Sequence[Trial], direction: str, path: str | Path, title: str = "",
                 metric: str | None = None) -> str | None:
    """Write `history_figure` to `path`; returns a note when there is nothing to plot (the
    image says so)."""
    return _write(path, _heading("Optimisation history", title), history_figure(trials, direction, metric, title))


# -- parameters against the value ----------------------------------------------------------------
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


def _tunable_trials(trials: Sequence[Trial], space: Space | None) -> tuple[list[Trial], Space, list[str]] | str:
    """(OK trials, space, plotted parameter names), or why there is nothing to plot."""
    empty = _nothing_to_plot(trials)
    ok = [t for t in trials if t.ok]
    space = space if space is not None else _infer_space(ok)
    names = _plotted_params(space)
    if not empty and not names:
        empty = "the space has no tunable parameters"
    return empty if empty else (ok, space, names)


def _padded(low: float, high: float, log: bool) -> tuple[float, float]:
    if log:
        f = (high / low) ** 0.03
        return low / f, high * f
    pad = 0.03 * (high - low)
    return low - pad, high + pad


def _parameter_axis(ax: Any, p: Parameter) -> None:
    """The x axis of a numeric parameter's panel: log ticks at round numbers for log parameters,
    room for jittered integer strips."""
    if not isinstance(p, (Float, Int)):
        return
    integer = isinstance(p, Int)
    if p.log:
        set_log_ticks(ax.xaxis, float(p.low), float(p.high), integer=integer, pad=0.03)
        return
    lo_x, hi_x = _padded(p.low, p.high, False)
    if integer:
        lo_x, hi_x = min(lo_x, p.low - 0.5 * p.step), max(hi_x, p.high + 0.5 * p.step)
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=True))
    ax.set_xlim(lo_x, hi_x)


def parameters_figure(trials: Sequence[Trial], space: Space | None, direction: str, metric: str | None = None,
                      title: str = "") -> Any:
    """One panel per parameter: value against the parameter (log axis for log parameters,
    jittered strips for choices, booleans and small integer ranges), the best trial starred.
    Coloured by trial id, or with budgets by budget (a marker per budget, the largest drawn on
    top). Trials where a conditional parameter is inactive are left out of its panel."""
    prepared = _tunable_trials(trials, space)
    if isinstance(prepared, str):
        return prepared
    ok, space, names = prepared
    best = best_trial(trials, direction)
    window = value_window(np.array([t.value for t in ok], dtype=float), direction)
    budgets = _Budgets(ok) if any(t.budget is not None for t in ok) else None
    ncols = min(3, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig = new_figure(4.2 * ncols + 1.0, 3.3 * nrows + 1.0)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    rng = np.random.default_rng(0)  # jitter only; fixed so the same study gives the same image
    n_max = max(t.id for t in ok)
    mappable = None
    for k, name in enumerate(names):
        ax = axes[k // ncols][k % ncols]
        p = space[name]
        rows = [t for t in ok if name in t.params]
        y = np.array([t.value for t in rows], dtype=float)
        if isinstance(p, (Choice, Bool)):
            cats = _categories(p)
            x = np.array([_category_index(p, t.params[name]) for t in rows])
            xj = x + rng.uniform(-0.28, 0.28, size=len(x))
        else:
            x = np.array([float(t.params[name]) for t in rows])
            xj = x
            if isinstance(p, Int) and not p.log and p.size <= 30:
                xj = x + rng.uniform(-0.25, 0.25, size=len(x)) * p.step  # strips, not bars
        style = _marker_style(len(rows))
        if budgets is None:
            mappable = ax.scatter(xj, y, c=[t.id for t in rows], cmap="viridis", vmin=0, vmax=max(n_max, 1), **style)
        else:  # smallest budget first, so the comparable results are drawn on top
            of = np.array([_budget_of(t) for t in rows], dtype=object)
            sel = np.array([b is None for b in of], dtype=bool)
            if sel.any():  # added by hand without a budget: grey
                ax.scatter(xj[sel], y[sel], color="0.6", label="without a budget", **style)
            for b in budgets.values:
                sel = of == b
                if sel.any():
                    ax.scatter(xj[sel], y[sel], color=budgets.colour(b), marker=budgets.marker(b),
                               label=f"budget {b:g}", **style)
        if isinstance(p, (Choice, Bool)):
            # The median per category summarises its strip; with budgets, of the comparable
            # results (at the largest budget) only.
            at_top = np.array([budgets is None or _budget_of(t) == budgets.top for t in rows], dtype=bool)
            median_label = "median of the category" + (f" at budget {budgets.top:g}" if budgets else "")
            for i in range(len(cats)):
                sel = y[(x == i) & at_top]
                if len(sel):
                    ax.hlines(np.median(sel), i - 0.35, i + 0.35, color="tab:red", linewidth=1.5, label=median_label)
            ax.set_xticks(range(len(cats)))
            ax.set_xticklabels([str(v) for v in cats], rotation=30 if len(cats) > 4 else 0, fontsize=8)
            ax.set_xlim(-0.6, len(cats) - 0.4)
            best_x = _category_index(p, best.params[name]) if best is not None and name in best.params else None
        else:
            _parameter_axis(ax, p)
            best_x = float(best.params[name]) if best is not None and name in best.params else None
        if best is not None and best_x is not None:
            ax.scatter([best_x], [best.value], label=f"best: trial {best.id}", **BEST_STYLE)
        apply_value_window(ax, window)
        inactive = len(ok) - len(rows)
        ax.set_xlabel(name + (" (log)" if isinstance(p, (Float, Int)) and p.log else "")
                      + (f"  ({inactive:,} inactive)" if inactive else ""))
        ax.grid(alpha=0.3)
        if k % ncols == 0:
            ax.set_ylabel(value_label(metric, direction))
    for k in range(len(names), nrows * ncols):
        axes[k // ncols][k % ncols].set_axis_off()
    if budgets is not None:
        budgets.colorbar(fig, axes)
    elif mappable is not None:
        fig.colorbar(mappable, ax=axes, label="trial", shrink=0.8)
    fig.suptitle(_with_note(_heading("Parameters against the value", title), _outside_note(window.outside, direction)))
    seen: dict[str, Any] = {}
    for row in axes:
        for ax in row:
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                seen.setdefault(lab, h)
    legend_below(fig, list(seen.values()), list(seen))
    return fig


def plot_parameters(trials: Sequence[Trial], space: Space | None, direction: str, path: str | Path,
                    title: str = "", metric: str | None = None) -> str | None:
    """Write `parameters_figure` to `path`; returns a note when there is nothing to plot."""
    return _write(path, _heading("Parameters against the value", title),
                  parameters_figure(trials, space, direction, metric, title))


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


def _round_ticks(low: float, high: float, integer: bool, log: bool) -> list[float]:
    """Round numbers within [low, high] to label an axis with, ends included unless a round
    number sits next to them."""
    use_log = log and low > 0
    if use_log:
        inner = log_ticks(low, high, integer, max_ticks=5)
    else:
        from matplotlib.ticker import MaxNLocator

        inner = [float(v) for v in MaxNLocator(nbins=4, integer=integer).tick_values(low, high) if low <= v <= high]

    def to_unit(v: float) -> float:  # position on the axis, 0 at low and 1 at high
        if use_log:
            return (math.log(v) - math.log(low)) / (math.log(high) - math.log(low))
        return (v - low) / (high - low) if high > low else 0.5

    ticks = list(inner)
    for end in (low, high):
        if all(abs(to_unit(end) - to_unit(t)) > 0.08 for t in inner):
            ticks.append(end)
    return sorted(set(ticks))


def _axis_ticks(p: Parameter) -> list[tuple[float, str]]:
    if isinstance(p, (Choice, Bool)):
        return [(_axis_position(p, v), str(v)) for v in _categories(p)]
    if isinstance(p, (Float, Int)):
        integer = isinstance(p, Int)
        ticks = _round_ticks(float(p.low), float(p.high), integer, p.log)
        return [(_axis_position(p, v), tick_text(v, integer) if integer else f"{v:.3g}") for v in ticks]
    return []


def parallel_figure(trials: Sequence[Trial], space: Space | None, direction: str, top: int | None = None,
                    metric: str | None = None, title: str = "") -> Any:
    """Parallel coordinates of the best `top` trials (default: the best 10%, between 10 and
    100): one vertical axis per parameter and one for the value, one line per trial coloured by
    its value (the colour bar gives the numbers; the best lines are drawn last, on top). Inactive
    parameters are drawn below their axis. With budgets, only trials at the largest budget."""
    prepared = _tunable_trials(trials, space)
    if isinstance(prepared, str):
        return prepared
    ok, space, names = prepared
    budgets = [t.budget for t in ok if t.budget is not None]
    if budgets:  # only trials at the top budget are comparable
        ok = [t for t in ok if t.budget == max(budgets)]
    if top is None:
        top = int(np.clip(len(ok) // 10, 10, 100))
    chosen = sorted(ok, key=lambda t: _loss(t, direction))[:max(top, 1)][::-1]  # worst first: best on top
    values = np.array([t.value for t in chosen], dtype=float)
    vlo, vhi = float(values.min()), float(values.max())
    span = vhi - vlo if vhi > vlo else 1.0
    n_axes = len(names) + 1
    coords = np.full((len(chosen), n_axes), INACTIVE_POSITION)
    for i, t in enumerate(chosen):
        for j, name in enumerate(names):
            if name in t.params:
                coords[i, j] = _axis_position(space[name], t.params[name])
        coords[i, -1] = (t.value - vlo) / span if vhi > vlo else 0.5
    has_inactive = (coords[:, :-1] == INACTIVE_POSITION).any(axis=0)
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize

    fig = new_figure(max(6.5, 1.5 * n_axes + 2.0), 4.8)
    ax = fig.add_subplot()
    segments, colours = [], []
    for i in range(len(chosen)):
        for j in range(n_axes - 1):
            a, b = coords[i, j], coords[i, j + 1]
            if not (math.isnan(a) or math.isnan(b)):
                segments.append([(j, a), (j + 1, b)])
                colours.append(values[i])
    # Dark is good: the best value at the dark end of the map in both directions.
    cmap = "viridis" if direction == "minimize" else "viridis_r"
    lc = LineCollection(segments, array=np.array(colours), cmap=cmap, norm=Normalize(vlo, vlo + span),
                        linewidths=1.2, alpha=float(np.clip(6.0 / math.sqrt(len(chosen)), 0.25, 0.9)),
                        rasterized=True)
    ax.add_collection(lc)
    label_box = {"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 0.6}
    for j in range(n_axes):
        ax.axvline(j, color="0.2", linewidth=0.8)
    for j, name in enumerate(names):
        ticks = _axis_ticks(space[name]) + ([(INACTIVE_POSITION, "(inactive)")] if has_inactive[j] else [])
        for pos, label in ticks:
            ax.plot([j - 0.03, j], [pos, pos], color="0.2", linewidth=0.8)
            ax.text(j + 0.04, pos, label, fontsize=7, va="center", color="0.2", bbox=label_box, zorder=5)
    for v in _round_ticks(vlo, vlo + span, False, False) if vhi > vlo else [vlo]:
        pos = (v - vlo) / span if vhi > vlo else 0.5
        ax.plot([n_axes - 1 - 0.03, n_axes - 1], [pos, pos], color="0.2", linewidth=0.8)
        ax.text(n_axes - 1 + 0.04, pos, f"{v:.4g}", fontsize=7, va="center", bbox=label_box, zorder=5)
    ax.set_xticks(range(n_axes))
    labels = [n + (" (log)" if isinstance(space[n], (Float, Int)) and space[n].log else "") for n in names]
    ax.set_xticklabels(labels + [metric or "value"], rotation=20, fontsize=9)
    ax.set_yticks([])
    ax.set_xlim(-0.2, n_axes - 0.4)
    ax.set_ylim(INACTIVE_POSITION - 0.06 if has_inactive.any() else -0.06, 1.06)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    cb = fig.colorbar(lc, ax=ax, shrink=0.85, label=value_label(metric, direction))
    cb.solids.set_alpha(1.0)
    budget_note = f" at budget {max(budgets):g}" if budgets else ""
    ax.set_title(f"{_heading('Best trials, parallel coordinates', title)}\n"
                 f"best {len(chosen):,} of {len(ok):,} completed trials{budget_note}", fontsize=10)
    return fig


def plot_parallel(trials: Sequence[Trial], space: Space | None, direction: str, path: str | Path,
                  top: int | None = None, title: str = "", metric: str | None = None) -> str | None:
    """Write `parallel_figure` to `path`; returns a note when there is nothing to plot."""
    return _write(path, _heading("Best trials, parallel coordinates", title),
                  parallel_figure(trials, space, direction, top, metric, title))


# -- Hyperband rungs --------------------------------------------------------------------------------
def _lineage(t: Trial) -> tuple[str, int]:
    """The configuration a trial evaluates (its `config_id`; the trial itself without one)."""
    return ("c", t.config_id) if t.config_id is not None else ("t", t.id)


def rungs_figure(trials: Sequence[Trial], direction: str, metric: str | None = None, title: str = "") -> Any:
    """Value against budget, one line per configuration (`config_id`) joining its rungs; lines
    of configurations promoted further are drawn darker and on top. The best configuration's
    trials are labelled with their trial ids (the ids every printed line uses). Only trials with
    a budget."""
    with_budget = [t for t in trials if t.budget is not None]
    if not with_budget:
        return "no trial has a budget (not a multi-fidelity study)"
    empty = _nothing_to_plot(with_budget)
    if empty:
        return empty
    ok = [t for t in with_budget if t.ok]
    groups: dict[Any, list[Trial]] = {}
    for t in ok:
        groups.setdefault(_lineage(t), []).append(t)
    all_budgets = sorted({float(t.budget) for t in ok})  # type: ignore[arg-type]
    log_x = len(all_budgets) > 1 and all_budgets[0] > 0
    # Each configuration is offset a little from its budgets (the same offset at every rung, so
    # its line runs through its dots), so that thousands of dots do not form one bar.
    rng = np.random.default_rng(0)
    offset = {key: rng.uniform(-0.06, 0.06) for key in groups}

    def at(t: Trial, key: Any) -> float:
        b = float(t.budget)  # type: ignore[arg-type]
        d = offset.get(key, 0.0)
        return b * math.exp(d) if log_x else b + d

    level = {b: i for i, b in enumerate(all_budgets)}
    top_level = max(len(all_budgets) - 1, 1)
    lines: list[tuple[int, np.ndarray]] = []
    for key, g in groups.items():
        g.sort(key=lambda t: (float(t.budget), t.id))  # type: ignore[arg-type]
        pts = np.array([(at(t, key), float(t.value)) for t in g])  # type: ignore[arg-type]
        lines.append((level[float(g[-1].budget)], pts))  # type: ignore[arg-type]
    lines.sort(key=lambda item: item[0])  # furthest-promoted last, i.e. on top
    from matplotlib.collections import LineCollection

    fig = new_figure(8.0, 5.0)
    ax = fig.add_subplot()
    multi_point = [pts for _, pts in lines if len(pts) > 1]
    reached = np.array([lv for lv, pts in lines if len(pts) > 1], dtype=float)
    if multi_point:
        lc = LineCollection(multi_point, array=reached / top_level, cmap="plasma_r", linewidths=1.0,
                            alpha=float(np.clip(8.0 / math.sqrt(len(multi_point)), 0.15, 0.8)), rasterized=True,
                            label="a configuration's rungs")
        lc.set_clim(0.0, 1.0)
        ax.add_collection(lc)
    v = np.array([float(t.value) for t in ok])  # type: ignore[arg-type]
    ax.scatter([at(t, _lineage(t)) for t in ok], v, color="0.25", zorder=3, label=f"completed trial ({len(ok):,})",
               **_marker_style(len(ok)))
    pruned = _pruned(with_budget)
    if pruned:
        ax.scatter([at(t, _lineage(t)) for t in pruned], [t.value for t in pruned],
                   label=f"pruned ({len(pruned):,}; last reported value)", **_pruned_style(len(pruned)))
    best = best_trial(ok, direction)
    if best is not None:
        key = _lineage(best)
        g = groups.get(key, [best])
        if best.config_id is not None and len(g) > 1:
            label = f"best: trial {best.id} (configuration {best.config_id}: trials {' > '.join(str(t.id) for t in g)})"
        else:
            label = f"best: trial {best.id}"
        ax.plot([at(t, key) for t in g], [t.value for t in g], color="tab:red", marker="o", markersize=5,
                linewidth=2, zorder=5, label=label)
        ax.scatter([at(best, key)], [best.value], **BEST_STYLE)
        for t in g:
            ax.annotate(f"trial {t.id}", (at(t, key), float(t.value)), xytext=(7, -11),  # type: ignore[arg-type]
                        textcoords="offset points", fontsize=8, color="tab:red", zorder=7,
                        bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 0.5})
    if len(all_budgets) > 1 and all_budgets[0] > 0:
        ax.set_xscale("log")
        f = (all_budgets[-1] / all_budgets[0]) ** 0.08
        ax.set_xlim(all_budgets[0] / f, all_budgets[-1] * f)
        ax.set_xticks(all_budgets, labels=[f"{x:g}" for x in all_budgets])
        ax.minorticks_off()
    window = value_window(np.concatenate([v, [t.value for t in pruned]]), direction)
    apply_value_window(ax, window)
    ax.set_xlabel("budget")
    ax.set_ylabel(value_label(metric, direction))
    ax.set_title(_with_note(_heading("Rungs: value against budget", title),
                            f"{len(groups):,} configurations, {len(ok):,} completed trials (darker lines: promoted further)",
                            _outside_note(window.outside, direction)), fontsize=10)
    ax.grid(alpha=0.3)
    legend_below(fig, *ax.get_legend_handles_labels())
    return fig


def plot_rungs(trials: Sequence[Trial], direction: str, path: str | Path, title: str = "",
               metric: str | None = None) -> str | None:
    """Write `rungs_figure` to `path`; returns a note when there is nothing to plot."""
    return _write(path, _heading("Rungs: value against budget", title), rungs_figure(trials, direction, metric, title))


# -- learning curves --------------------------------------------------------------------------------------
def _curves(trials: Sequence[Trial], metric: str | None) -> list[tuple[Trial, Curve]]:
    """(trial, curve) of every completed, pruned or running trial that has a learning curve."""
    shown = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
    out = []
    for t in trials:
        if t.state in shown and (c := learning_curve(t, metric)) is not None:
            out.append((t, c))
    return out


def curves_figure(trials: Sequence[Trial], direction: str, metric: str | None = None, title: str = "") -> Any:
    """Learning curves: each trial's value against its step (`hpcore.curves.learning_curve`),
    thin and transparent so that 1,000 curves stay readable; the best few completed trials in
    colour and named; PRUNED trials in their own colour with a cross where they were stopped.
    Returns a `Figure`, or the reason there is nothing to draw."""
    drawn = _curves(trials, metric)
    if not drawn:
        return "no trial reported intermediate values or has a per-epoch history"
    from matplotlib.collections import LineCollection

    pruned = [(t, c) for t, c in drawn if t.state is TrialState.PRUNED]
    running = [(t, c) for t, c in drawn if t.state is TrialState.RUNNING]
    # Best first by the rule of `best_trial`: with budgets, the results at the largest budget come first.
    comparable = {t.id for t in comparable_results([t for t, _ in drawn])}
    complete = sorted(((t, c) for t, c in drawn if t.ok),
                      key=lambda tc: (tc[0].id not in comparable, _loss(tc[0], direction), tc[0].id))
    highlighted = complete[:HIGHLIGHTED_CURVES]
    fig = new_figure(8.0, 5.0)
    ax = fig.add_subplot()

    def lines(items: Sequence[tuple[Trial, Curve]], colour: Any, zorder: float, **kw: Any) -> None:
        """One collection for a group of curves, thinner and fainter the more there are."""
        k = len(items)
        alpha, width = float(np.clip(2.5 / math.sqrt(k), 0.04, 0.8)), float(np.clip(6.0 / math.sqrt(k), 0.4, 1.4))
        ax.add_collection(LineCollection([np.column_stack([c.steps, c.values]) for _, c in items], colors=colour,
                                         linewidths=width, alpha=alpha, rasterized=True, zorder=zorder, **kw))

    if pruned:  # under the others: pruned trials are the many bad ones
        lines(pruned, PRUNED_STYLE["color"], 1.0)
        ax.scatter([c.steps[-1] for _, c in pruned], [c.values[-1] for _, c in pruned],
                   label=f"pruned ({len(pruned):,}; cross: where it was stopped)",
                   **{**_pruned_style(len(pruned)), "zorder": 2.0})
    if running:
        lines(running, "0.45", 2.5, linestyles="dashed", label=f"running ({len(running):,})")
    rest = complete[HIGHLIGHTED_CURVES:]
    if rest:
        lines(rest, "tab:blue", 3.0, label=f"completed ({len(complete):,})")
        single = [c for _, c in rest if len(c.steps) == 1]  # one step (a budget-1 trial): no line to draw
        if single:
            ax.scatter([c.steps[0] for c in single], [c.values[0] for c in single], color="tab:blue", zorder=3,
                       **_marker_style(len(single)))
    palette = ("tab:red", "tab:green", "tab:purple")
    from matplotlib import patheffects

    outline = [patheffects.Stroke(linewidth=3.6, foreground="white"), patheffects.Normal()]  # apart from the mass
    for k, (t, c) in enumerate(highlighted):
        ax.plot(c.steps, c.values, color=palette[k % len(palette)], linewidth=2.0, zorder=6 - 0.1 * k,  # best on top
                path_effects=outline,
                label=f"trial {t.id}{' (best)' if k == 0 else ''}: {t.value:.4g}")
    all_steps = np.concatenate([c.steps for _, c in drawn])
    all_values = np.concatenate([c.values for _, c in drawn])
    lo, hi = float(all_steps.min()), float(all_steps.max())
    pad = 0.02 * (hi - lo) if hi > lo else 0.5
    ax.set_xlim(lo - pad, hi + pad)
    window = value_window(all_values, direction)
    apply_value_window(ax, window)
    units = {c.unit for _, c in drawn}
    ax.set_xlabel(units.pop() if len(units) == 1 else "step")
    ax.set_ylabel(value_label(metric, direction))
    parts = [f"{len(complete):,} completed"] + [f"{len(x):,} {w}" for x, w in ((pruned, "pruned"), (running, "running"))
                                                if x]
    outside = _outside_note(window.outside, direction).replace("trial", "reported value")
    ax.set_title(_with_note(_heading("Learning curves", title), ", ".join(parts), outside), fontsize=10)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    legend_below(fig, handles, labels)
    return fig


def plot_curves(trials: Sequence[Trial], direction: str, path: str | Path, title: str = "",
                metric: str | None = None) -> str | None:
    """Write `curves_figure` to `path`; returns a note when there is nothing to plot."""
    return _write(path, _heading("Learning curves", title), curves_figure(trials, direction, metric, title))


# -- everything at once --------------------------------------------------------------------------------
def plot_study(trials: Sequence[Trial], space: Space | Mapping[str, Any] | None, direction: str,
               out_dir: str | Path, name: str = "study", metric: str | None = None) -> PlotReport:
    """Write the history, parameter and parallel-coordinates plots of one study into `out_dir`
    as `<name>_history.png` etc., plus `<name>_rungs.png` when trials have budgets and
    `<name>_curves.png` when some have learning curves. `space` may be a `Space` or its dict
    form; `metric` names the value (None: recognised from a Keras history if there is one)."""
    if isinstance(space, Mapping) and not isinstance(space, Space):
        space = Space.from_dict(space)
    if metric is None:
        metric = metric_name(None, trials)
    out = Path(out_dir)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "study"
    report = PlotReport()
    jobs: list[tuple[str, Callable[[Path], str | None]]] = [
        ("history", lambda p: plot_history(trials, direction, p, title=name, metric=metric)),
        ("params", lambda p: plot_parameters(trials, space, direction, p, title=name, metric=metric)),
        ("parallel", lambda p: plot_parallel(trials, space, direction, p, title=name, metric=metric)),
    ]
    if any(t.budget is not None for t in trials):
        jobs.append(("rungs", lambda p: plot_rungs(trials, direction, p, title=name, metric=metric)))
    if _curves(trials, metric):
        jobs.append(("curves", lambda p: plot_curves(trials, direction, p, title=name, metric=metric)))
    for kind, fn in jobs:
        path = out / f"{safe}_{kind}.png"
        note = fn(path)
        report.files.append(path)
        if note:
            report.notes.append(note)
    return report
