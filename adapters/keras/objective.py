"""The metric a Keras search optimises, and its direction.

A trial's value is the best epoch's value of that metric (as KerasTuner does), so an
`Objective` also knows how to pick the best of a list of per-epoch values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["MultiObjective", "Objective", "as_objective", "infer_direction"]

# Metric names (without "val_") that are better when larger. Anything ending in "accuracy" or
# containing "auc" also counts.
_MAXIMIZE = frozenset({
    "acc", "accuracy", "auc", "prc", "precision", "recall", "f1", "f1_score", "fbeta_score",
    "r2", "r2_score", "iou", "mean_iou", "binary_iou", "one_hot_iou", "one_hot_mean_iou",
    "true_positives", "true_negatives", "precision_at_recall", "recall_at_precision",
    "sensitivity_at_specificity", "specificity_at_sensitivity", "cosine_similarity",
})
# Better when smaller: losses, errors and the usual regression metrics.
_MINIMIZE = frozenset({
    "loss", "mse", "mae", "mape", "msle", "rmse", "mean_squared_error", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "root_mean_squared_error",
    "hinge", "squared_hinge", "categorical_hinge", "logcosh", "log_cosh", "kl_divergence",
    "kullback_leibler_divergence", "poisson", "crossentropy", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "false_positives", "false_negatives",
})


def infer_direction(name: str) -> str:
    """"maximize" or "minimize" for a Keras metric name such as "val_accuracy" or "loss".
    Raises `ValueError` for a name it cannot classify (then pass `Objective(name, direction)`)."""
    base = name.removeprefix("val_")
    base = base.lower()
    if base in _MAXIMIZE or base.endswith("accuracy") or "auc" in base:
        return "maximize"
    if base in _MINIMIZE or "loss" in base or "error" in base or base.endswith("crossentropy"):
        return "minimize"
    raise ValueError(
        f"cannot tell whether the metric {name!r} should be maximized or minimized; "
        f"pass objective=Objective({name!r}, direction='max') or direction='min'"
    )


@dataclass(frozen=True)
class Objective:
    """A metric name and its direction ("min"/"max" or "minimize"/"maximize"; inferred from the
    name when omitted)."""

    name: str
    direction: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"the objective must be a metric name, got {self.name!r}")
        d = self.direction
        d = infer_direction(self.name) if d is None else {"min": "minimize", "max": "maximize"}.get(d, d)
        if d not in ("minimize", "maximize"):
            raise ValueError(f"direction must be 'min' or 'max', got {self.direction!r}")
        object.__setattr__(self, "direction", d)

    def __str__(self) -> str:  # KerasTuner's layout, as results_summary prints it
        return f'Objective(name="{self.name}", direction="{"max" if self.direction == "maximize" else "min"}")'

    def better(self, a: float, b: float) -> bool:
        """Whether `a` is strictly better than `b`."""
        return a > b if self.direction == "maximize" else a < b

    def best(self, values: Sequence[float]) -> tuple[float, int] | None:
        """The best finite value of `values` and its index (None when there is none)."""
        best: tuple[float, int] | None = None
        for i, v in enumerate(values):
            v = float(v)
            if math.isfinite(v) and (best is None or self.better(v, best[0])):
                best = (v, i)
        return best

    def find(self, metrics: Sequence[str]) -> str:
        """The key of this metric in a Keras history (accepting "acc" for "accuracy" and back).
        Raises `KeyError` listing the metrics there are."""
        if self.name in metrics:
            return self.name
        for a, b in (("accuracy", "acc"), ("acc", "accuracy")):
            if self.name.endswith(a):
                alias = self.name[: -len(a)] + b
                if alias in metrics:
                    return alias
        hint = ""
        if self.name.startswith("val_") and not any(m.startswith("val_") for m in metrics):
            hint = " (no validation metrics: pass validation_data= or validation_split= to search())"
        raise KeyError(f"the objective {self.name!r} is not among the metrics {sorted(metrics)}{hint}")

    def series(self, history: Mapping[str, Sequence[float]]) -> list[float]:
        """The objective's value at each epoch of a history (metric name -> per-epoch values).
        Raises `KeyError` as `find` does."""
        return [float(v) for v in history[self.find(list(history))]]

    def value_of(self, logs: Mapping[str, Any]) -> float:
        """The objective's value in one epoch's logs (or a dict of metrics). Raises `KeyError` as
        `find` does."""
        return float(logs[self.find(list(logs))])


@dataclass(frozen=True)
class MultiObjective(Objective):
    """Several metrics summed into one value to minimise, as KerasTuner does with a list of
    objectives: the sum of the metrics to minimise minus the sum of those to maximise (so
    `["val_loss", Objective("val_accuracy", "max")]` minimises val_loss - val_accuracy). Its name
    is "multi_objective" and its direction "min". hpcore has no Pareto (multi-objective) search:
    this is one scalar objective."""

    objectives: tuple[Objective, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.objectives:
            raise ValueError("a list of objectives must not be empty")

    def __str__(self) -> str:  # KerasTuner's layout
        return f"Multi{super().__str__()}: [{', '.join(map(str, self.objectives))}]"

    def _signed(self, values: Sequence[float]) -> float:
        return float(sum(v if o.direction == "minimize" else -v for o, v in zip(self.objectives, values)))

    def find(self, metrics: Sequence[str]) -> str:
        """Checks that every summed metric is there (raising `KeyError` as `Objective.find`);
        returns this objective's name."""
        for o in self.objectives:
            o.find(metrics)
        return self.name

    def series(self, history: Mapping[str, Sequence[float]]) -> list[float]:
        columns = [o.series(history) for o in self.objectives]
        return [self._signed(row) for row in zip(*columns)]

    def value_of(self, logs: Mapping[str, Any]) -> float:
        return self._signed([o.value_of(logs) for o in self.objectives])


def as_objective(objective: Any) -> Objective:
    """An `Objective` from a metric name, an `Objective`, any object with `name` and `direction`
    attributes (e.g. a KerasTuner `Objective`), or a list of these (a `MultiObjective`: their
    sum, each with its direction). None means "val_loss"."""
    if objective is None:
        return Objective("val_loss")
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, str):
        return Objective(objective)
    if isinstance(objective, (list, tuple)):  # KerasTuner sums them (see `MultiObjective`)
        return MultiObjective("multi_objective", "min", objectives=tuple(as_objective(o) for o in objective))
    name, direction = getattr(objective, "name", None), getattr(objective, "direction", None)
    if isinstance(name, str):
        return Objective(name, direction)
    raise TypeError(f"objective must be a metric name or an Objective, got {objective!r}")
