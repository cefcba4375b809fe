"""Per-trial copies of the user's callbacks, with a TensorBoard log directory per trial and an
HParams summary (hyperparameters + final metrics) when the `tensorboard` package is there.

Callbacks hold state (EarlyStopping's best value, TensorBoard's writers), so every execution of
every trial gets deep copies of what was passed to `search`, never the originals.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["trial_callbacks", "trial_log_dir", "write_hparams"]


def _is_tensorboard(cb: Any) -> bool:
    import keras

    return isinstance(cb, keras.callbacks.TensorBoard)


def trial_log_dir(base: str, trial_id: int, execution: int | None = None) -> str:
    """`base/trial_<id>` (and `/execution_<k>` when a trial runs several executions)."""
    d = os.path.join(base, f"trial_{trial_id:04d}")
    return d if execution is None else os.path.join(d, f"execution_{execution}")


def trial_callbacks(callbacks: Sequence[Any] | None, trial_id: int, execution: int,
                    executions: int) -> tuple[list[Any], list[str]]:
    """Copies of `callbacks` for one execution, TensorBoard ones writing under their own trial
    directory. Returns (callbacks, the TensorBoard base directories, for `write_hparams`)."""
    out, bases = [], []
    for cb in callbacks or ():
        cb = copy.deepcopy(cb)
        if _is_tensorboard(cb):
            base = cb.log_dir
            bases.append(base)
            cb.log_dir = trial_log_dir(base, trial_id, execution if executions > 1 else None)
        out.append(cb)
    return out, bases


def _hparam_value(v: Any) -> Any:
    if isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    return str(v)


def write_hparams(base: str, trial_id: int, params: Mapping[str, Any], metrics: Mapping[str, float]) -> bool:
    """Write an HParams summary for one trial under `base/trial_<id>`; False when the
    `tensorboard` package (its HParams plugin) is not installed."""
    try:
        import tensorflow as tf
        from tensorboard.plugins.hparams import api as hparams_api
    except ImportError:
        return False
    logdir = trial_log_dir(base, trial_id)
    writer = tf.summary.create_file_writer(logdir)
    try:
        with writer.as_default():
            hparams_api.hparams({k: _hparam_value(v) for k, v in params.items() if v is not None},
                                trial_id=f"trial_{trial_id:04d}")
            for name, value in metrics.items():
                if value is not None and math.isfinite(value):
                    tf.summary.scalar(name, float(value), step=0)
        writer.flush()
    finally:
        writer.close()
    return True
