"""`hpcore demo`: one command that tunes something real and shows where everything went.

With TensorFlow and hpcore's Keras adapter (`hpcore.adapters.keras`) installed, it tunes a
small MLP on 2,000 bundled MNIST digits with Hyperband (max 9 epochs, factor 3: one iteration,
well under a couple of minutes on two cores). Otherwise, or with `synthetic=True`, it minimises
Hartmann-6 (known optimum -3.32237) with Bayesian optimisation, or random search while the GP
strategy is not installed. The Keras demo's study is stored where the tuner keeps its project,
`OUT/<name>/study.db` (name `demo-mnist-hyperband-<date>-<time>`), the synthetic demo's in
`OUT/demo.db`; plots are written to `OUT/demo-plots/`, and the best configuration and the
study's path are printed. It ends by writing the study's HTML report next to the study file
(`OUT/demo-report.html`, `OUT/<name>/study-report.html`) and printing its path.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["DemoResult", "prepare_digits", "run_demo"]

#: Keras demo sizes: training and validation digits, Hyperband's largest budget and factor.
N_TRAIN, N_VAL, MAX_EPOCHS, FACTOR = 2000, 500, 9, 3


@dataclass
class DemoResult:
    kind: str  # "keras" or "synthetic"
    study_name: str
    storage: Path | None
    best_params: dict[str, Any] | None
    best_value: float | None
    plots: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    report: Path | None = None  # the HTML report, written next to the study file


def _keras_adapter() -> tuple[Any, Callable[[], Any]] | str:
    """(Hyperband tuner class, load_mnist) when the Keras demo can run, else why not."""
    if importlib.util.find_spec("tensorflow") is None:
        return "TensorFlow is not installed (pip install 'hpcore[keras]')"
    try:
        keras_adapter = importlib.import_module("hpcore.adapters.keras")
        datasets = importlib.import_module("hpcore.adapters.keras.datasets")
    except ImportError as e:
        return f"hpcore's Keras adapter cannot be imported ({e})"
    tuner_cls = getattr(keras_adapter, "Hyperband", None)
    load_mnist = getattr(datasets, "load_mnist", None)
    if tuner_cls is None or load_mnist is None:
        return "hpcore's Keras adapter has no Hyperband tuner or load_mnist() yet"
    return tuner_cls, load_mnist


def _unique_name(storage: Any, base: str) -> str:
    name, k = base, 2
    while storage.get_study(name) is not None:
        name, k = f"{base}-{k}", k + 1
    return name


def run_demo(out: str | Path = "runs", trials: int | None = None, seed: int = 0, synthetic: bool = False,
             verbose: bool = True, echo: Callable[[str], None] = print) -> DemoResult:
    """Run the demo (see the module docstring) and print what it found and where it wrote it."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if not synthetic:
        adapter = _keras_adapter()
        if isinstance(adapter, tuple):
            result = _keras_demo(*adapter, out=out, seed=seed, verbose=verbose, echo=echo)
            if trials is not None:
                result.notes.append("--trials applies to the synthetic demo; the Keras demo runs one Hyperband "
                                    "iteration")
            return _report(result, echo)
        echo(f"note: {adapter}; running the synthetic demo instead (--synthetic skips this check)")
    return _report(_synthetic_demo(out=out, trials=trials, seed=seed, verbose=verbose, echo=echo), echo)


def _report(result: DemoResult, echo: Callable[[str], None]) -> DemoResult:
    echo("")
    if result.best_params is None:
        echo("no trial completed")
    else:
        if result.best_value is not None:
            echo(f"best value: {result.best_value:.6g}")
        echo("best configuration:")
        for k, v in result.best_params.items():
            echo(f"  {k} = {v:.6g}" if isinstance(v, float) else f"  {k} = {v}")
    if result.storage is not None:
        echo(f"study {result.study_name!r} stored in {result.storage}")
        echo(f"  inspect: hpcore show {result.storage} --name {result.study_name}")
    if result.plots:
        echo(f"plots written to {result.plots[0].parent}/:")
        for p in result.plots:
            echo(f"  {p.name}")
    for note in result.notes:
        echo(f"note: {note}")
    if result.storage is not None:
        _write_report(result, echo)
    return result


def _write_report(result: DemoResult, echo: Callable[[str], None]) -> None:
    """The study's HTML report next to its file (`hpcore report`), and its path, printed last."""
    from hpcore.report.build import write_report
    from hpcore.report.errors import MissingPlotly

    assert result.storage is not None
    try:
        result.report = write_report(result.storage, names=[result.study_name])
    except MissingPlotly as e:
        echo(f"note: no HTML report: {e}")
        return
    echo(f"report: {result.report}  (open it in a browser; while a study runs: hpcore dashboard {result.storage})")


# -- synthetic ---------------------------------------------------------------------------------------------------------
def _synthetic_demo(out: Path, trials: int | None, seed: int, verbose: bool,
                    echo: Callable[[str], None]) -> DemoResult:
    from hpcore import plots
    from hpcore.benchmarks.functions import get_function
    from hpcore.storage.sqlite import SQLiteStorage
    from hpcore.strategies.base import STRATEGIES
    from hpcore.study import Study

    fn = get_function("hartmann6")
    strategy = "bayes" if "bayes" in STRATEGIES() else "random"
    n = trials if trials is not None else (30 if strategy == "bayes" else 200)
    db = out / "demo.db"
    storage = SQLiteStorage(db)
    name = _unique_name(storage, f"demo-hartmann6-{strategy}-{time.strftime('%Y%m%d-%H%M%S')}")
    echo(f"hpcore demo: minimising Hartmann-6 (6 parameters, known minimum {fn.optimum_value:.5f}) "
         f"with {strategy} search, {n} trials, seed {seed}")
    study = Study(fn.space(), strategy=strategy, storage=storage, name=name, seed=seed)
    result = study.optimize(fn.params_call, n_trials=n, verbose=verbose)
    notes = []
    if strategy != "bayes":
        notes.append("the Bayesian-optimisation strategy is not installed; the demo used random search")
    if result.best_value is not None:
        notes.append(f"distance to the known minimum (simple regret): {result.best_value - fn.optimum_value:.4g}")
    shown = _plot(study.trials, study.space, study.direction, out / "demo-plots", name, notes, plots)
    storage.close()
    return DemoResult("synthetic", name, db, result.best_params, result.best_value, shown, notes)


def _plot(trials: Any, space: Any, direction: str, folder: Path, name: str, notes: list[str], plots: Any) -> list[Path]:
    try:
        report = plots.plot_study(trials, space, direction, folder, name=name)
    except plots.MissingMatplotlib as e:
        notes.append(f"no plots: {e}")
        return []
    notes.extend(report.notes)
    return report.files


# -- Keras -----------------------------------------------------------------------------------------------------------------
def prepare_digits(data: Any, n_train: int = N_TRAIN, n_val: int = N_VAL,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Whatever `load_mnist()` returns -> (x_train, y_train, x_val, y_val), images flattened to
    float32 in [0, 1], at most `n_train` / `n_val` of them, drawn with a seeded permutation.

    Accepts `((x, y), (x_test, y_test))` (the Keras convention), `(x, y)`, or a mapping with
    "x"/"y" (and optionally "x_test"/"y_test") keys."""
    if isinstance(data, Mapping):
        pairs = [(data["x"], data["y"])]
        if "x_test" in data:
            pairs.append((data["x_test"], data["y_test"]))
    elif isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[0], (tuple, list)):
        pairs = [tuple(data[0]), tuple(data[1])]
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        pairs = [(data[0], data[1])]
    else:
        raise ValueError(f"unexpected MNIST data layout: {type(data).__name__}")
    xs = [np.asarray(x) for x, _ in pairs]
    ys = [np.asarray(y).reshape(-1).astype(np.int64) for _, y in pairs]
    x = np.concatenate([a.reshape(len(a), -1) for a in xs]).astype(np.float32)
    y = np.concatenate(ys)
    if x.max(initial=0.0) > 1.0:
        x /= 255.0
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = min(n_val, len(x) // 5)
    n_train = min(n_train, len(x) - n_val)
    tr, va = order[:n_train], order[n_train:n_train + n_val]
    return x[tr], y[tr], x[va], y[va]


def _hp_values(hps: Any) -> dict[str, Any]:
    values = getattr(hps, "values", hps)
    return dict(values) if isinstance(values, Mapping) else {"hyperparameters": str(values)}


def _keras_demo(tuner_cls: Any, load_mnist: Callable[[], Any], out: Path, seed: int, verbose: bool,
                echo: Callable[[str], None]) -> DemoResult:
    import keras

    from hpcore import plots

    x, y, xv, yv = prepare_digits(load_mnist(), seed=seed)
    echo(f"hpcore demo: tuning a Keras MLP on {len(x):,} MNIST digits ({len(xv):,} for validation) "
         f"with Hyperband, max {MAX_EPOCHS} epochs, factor {FACTOR}")

    def build_model(hp: Any) -> Any:
        units = hp.Int("units", 32, 256, step=32)
        dropout = hp.Float("dropout", 0.0, 0.5, step=0.1)
        lr = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
        model = keras.Sequential([
            keras.Input(shape=(x.shape[1],)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dropout(dropout),
            keras.layers.Dense(10, activation="softmax"),
        ])
        model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    db = out / "demo.db"
    name = f"demo-mnist-hyperband-{time.strftime('%Y%m%d-%H%M%S')}"
    kwargs: dict[str, Any] = {"objective": "val_accuracy", "max_epochs": MAX_EPOCHS, "factor": FACTOR,
                              "directory": str(out), "project_name": name}
    accepted = inspect.signature(tuner_cls).parameters
    if "seed" in accepted:
        kwargs["seed"] = seed
    if "storage" in accepted:
        kwargs["storage"] = str(db)
    tuner = tuner_cls(build_model, **kwargs)
    tuner.search(x, y, validation_data=(xv, yv), verbose=1 if verbose else 0)
    best = tuner.get_best_hyperparameters()
    best_params = _hp_values(best[0]) if best else None
    notes: list[str] = []
    study = getattr(tuner, "study", None)
    shown: list[Path] = []
    storage_path: Path | None = None
    best_value = None
    if study is not None and hasattr(study, "trials"):
        shown = _plot(study.trials, study.space, study.direction, out / "demo-plots", name, notes, plots)
        best_value = study.best_value
        storage_path = Path(getattr(study.storage, "path", db)) if hasattr(study.storage, "path") else None
        name = study.name
    else:
        notes.append("the Keras tuner does not expose its hpcore study (tuner.study); no plots were made")
        oracle = getattr(tuner, "oracle", None)
        with contextlib.suppress(Exception):  # KerasTuner's way, if the adapter mirrors it this far
            best_value = float(oracle.get_best_trials(1)[0].score)
    if storage_path is None:
        found = sorted((out / name).rglob("*.db")) if (out / name).exists() else []
        storage_path = found[0] if found else None
    return DemoResult("keras", name, storage_path, best_params, best_value, shown, notes)
