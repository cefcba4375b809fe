"""`keras_tuner.engine.metrics_tracking`: `infer_metric_direction`."""

from __future__ import annotations

from hpcore.adapters.keras.objective import infer_direction

__all__ = ["infer_metric_direction"]


def infer_metric_direction(metric: str) -> str | None:
    """"max" or "min" for a Keras metric name, None when it cannot be told (as KerasTuner)."""
    try:
        return "max" if infer_direction(metric) == "maximize" else "min"
    except ValueError:
        return None
