"""Model state on disk: training checkpoints for Hyperband continuation, and the weights of the
best models.

Files are plain `.npz` archives of NumPy arrays, written once per Hyperband rung (not every
epoch) and loaded into a freshly built model of the same configuration:

    <root>/checkpoints/config_<config_id>_exec_<k>.npz   model weights, optimizer variables, epoch
    <root>/best/trial_<id>_exec_<k>.npz                   model weights at the trial's best epoch

A training checkpoint carries the optimizer's variables (iteration count, learning rate, moment
estimates), so a promoted configuration continues exactly where it stopped instead of
restarting the optimizer. Files are written to a temporary name and renamed, so a crash never
leaves a torn checkpoint behind.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["BestWeightsStore", "CheckpointStore", "ensure_built", "model_weights", "optimizer_variables"]

_CKPT = re.compile(r"config_(\d+)_exec_(\d+)\.npz$")
_BEST = re.compile(r"trial_(\d+)_exec_(\d+)\.npz$")


def _save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)


def ensure_built(model: Any, x: Any = None) -> bool:
    """Create the variables of a model built without an `Input` (e.g. `Sequential([Flatten(), ...])`)
    from the shape of its training data `x`, so weights can be loaded before `fit`. Returns
    whether the model has its variables."""
    if getattr(model, "built", False) and model.weights:
        return True
    shape = getattr(x, "shape", None)
    if shape is None or len(shape) < 1:
        return False
    try:
        model.build((None, *tuple(shape[1:])))
    except Exception:
        return False
    return bool(model.weights)


def model_weights(model: Any) -> list[np.ndarray]:
    """All weights of a Keras model (trainable and not), as NumPy copies."""
    return [np.array(w) for w in model.get_weights()]


def optimizer_variables(model: Any) -> list[Any]:
    """The compiled model's optimizer variables, built if needed so they can be assigned."""
    opt = getattr(model, "optimizer", None)
    if opt is None:
        raise ValueError("build_model must return a compiled model (model.compile(...)): it has no optimizer")
    if not opt.built:
        opt.build(model.trainable_variables)
    return list(opt.variables)


class CheckpointStore:
    """Training state of configurations that Hyperband may still promote, one file per
    (config_id, execution)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root) / "checkpoints"

    def path(self, config_id: int, execution: int = 0) -> Path:
        return self.root / f"config_{int(config_id)}_exec_{int(execution)}.npz"

    def save(self, config_id: int, execution: int, model: Any, epoch: int) -> Path:
        """Write `model`'s weights and optimizer state after `epoch` epochs."""
        arrays: dict[str, np.ndarray] = {"epoch": np.array(int(epoch))}
        for i, w in enumerate(model_weights(model)):
            arrays[f"w{i}"] = w
        for i, v in enumerate(optimizer_variables(model)):
            arrays[f"o{i}"] = np.asarray(v.numpy())
        p = self.path(config_id, execution)
        _save_npz(p, arrays)
        return p

    def load(self, config_id: int, execution: int, model: Any, epoch: int) -> int | None:
        """Restore weights and optimizer state into a freshly built `model` from the checkpoint of
        this configuration, if it holds at most `epoch` epochs (fewer when EarlyStopping ended the
        earlier rung). Returns the epochs restored, or None (model untouched) when there is no
        usable checkpoint. `ValueError` when it does not fit the model (another architecture)."""
        p = self.path(config_id, execution)
        if not p.exists():
            return None
        with np.load(p) as z:
            stored = int(z["epoch"])
            if stored > int(epoch) or stored <= 0:
                return None
            weights = [z[f"w{i}"] for i in range(sum(k.startswith("w") for k in z.files))]
            opt = [z[f"o{i}"] for i in range(sum(k.startswith("o") for k in z.files))]
        _check_shapes("weights", [np.shape(w) for w in model.get_weights()], weights, p)
        variables = optimizer_variables(model)
        _check_shapes("optimizer variables", [tuple(v.shape) for v in variables], opt, p)
        model.set_weights(weights)
        for var, value in zip(variables, opt):
            var.assign(value)
        return stored

    def stored(self) -> set[int]:
        """Config ids with at least one checkpoint on disk."""
        if not self.root.exists():
            return set()
        return {int(m.group(1)) for f in self.root.iterdir() if (m := _CKPT.search(f.name))}

    def retain(self, live: Iterable[int]) -> list[int]:
        """Delete the checkpoints of every configuration not in `live`; returns the deleted ids."""
        live = set(live)
        gone = []
        if not self.root.exists():
            return gone
        for f in self.root.iterdir():
            m = _CKPT.search(f.name)
            if m and int(m.group(1)) not in live:
                f.unlink(missing_ok=True)
                gone.append(int(m.group(1)))
        return sorted(set(gone))


def _check_shapes(what: str, expected: Sequence[tuple], arrays: Sequence[np.ndarray], path: Path) -> None:
    got = [tuple(np.shape(a)) for a in arrays]
    if [tuple(e) for e in expected] != got:
        raise ValueError(f"the checkpoint {path} does not fit the model built for this configuration "
                         f"({what}: expected shapes {expected}, found {got})")


class BestWeightsStore:
    """Weights of the best trials (at their best epoch), so `get_best_models` needs no retraining."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root) / "best"

    def path(self, trial_id: int, execution: int = 0) -> Path:
        return self.root / f"trial_{int(trial_id)}_exec_{int(execution)}.npz"

    def save(self, trial_id: int, weights: Sequence[np.ndarray], input_shape: Sequence[int] | None = None,
             execution: int = 0) -> Path:
        p = self.path(trial_id, execution)
        arrays = {f"w{i}": w for i, w in enumerate(weights)}
        if input_shape is not None:
            arrays["input_shape"] = np.asarray(input_shape, dtype=np.int64)
        _save_npz(p, arrays)
        return p

    def has(self, trial_id: int) -> bool:
        return self.path(trial_id).exists()

    def load(self, trial_id: int, model: Any, execution: int = 0) -> None:
        p = self.path(trial_id, execution)
        with np.load(p) as z:
            weights = [z[f"w{i}"] for i in range(sum(k.startswith("w") for k in z.files))]
            shape = z["input_shape"] if "input_shape" in z.files else None
        if shape is not None:
            ensure_built(model, np.zeros((1, *shape), dtype=np.float32))
        _check_shapes("weights", [np.shape(w) for w in model.get_weights()], weights, p)
        model.set_weights(weights)

    def stored(self) -> set[int]:
        if not self.root.exists():
            return set()
        return {int(m.group(1)) for f in self.root.iterdir() if (m := _BEST.search(f.name))}

    def retain(self, keep: Iterable[int]) -> None:
        """Delete the weights of every trial not in `keep`."""
        keep = set(keep)
        if not self.root.exists():
            return
        for f in self.root.iterdir():
            m = _BEST.search(f.name)
            if m and int(m.group(1)) not in keep:
                f.unlink(missing_ok=True)
