"""MNIST MLP tuning: hpcore's Keras adapter against KerasTuner, on 4,000/1,000 real digits.

    python -m hpcore.benchmarks.mnist_keras                  # every arm, markdown table at the end
    python -m hpcore.benchmarks.mnist_keras --arms hpcore-hyperband,kt-hyperband
    python -m hpcore.benchmarks.mnist_keras --memory         # memory after 50 trials vs after 5
    python -m hpcore.benchmarks.mnist_keras --quick          # tiny settings, to check the script runs
    python -m hpcore.benchmarks.mnist_keras --pairs          # the two Hyperband arms at the same time

The space is the MLP of a common KerasTuner tutorial: 1-5 Dense layers of 32-512 units (step 32),
optimizer adam/sgd/rmsprop, learning rate 1e-4..1e-2 (log). Arms:
    hpcore-hyperband, kt-hyperband   Hyperband, max_epochs 27, factor 3
    hpcore-random, hpcore-bayes      20 trials of 10 epochs (kt-random, kt-bayes on request)
    hpcore-hyperband-1step           on request: steps_per_execution=None (one batch per Keras call,
                                     as KerasTuner), to separate that speed-up from the others
    hpcore-hyperband-bohb            on request: Hyperband(sampler="bayes"), new configurations from
                                     a GP (BOHB-style) instead of uniformly at random
Every arm runs in its own fresh process (same imports, same data), one after the other (with
`--pairs` the two Hyperband arms run at the same time, so that a load from other jobs that changes
during the run hits both alike), and reports wall time,
CPU time, epochs trained, the best validation accuracy, and the time outside `model.fit`
(measured by a callback from the start to the end of each fit, for both libraries alike).
The machine may be shared: CPU seconds are less sensitive to other processes than wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any

ARMS = ("hpcore-hyperband", "kt-hyperband", "hpcore-random", "hpcore-bayes")
OPTIONAL_ARMS = ("kt-random", "kt-bayes", "hpcore-hyperband-1step", "hpcore-hyperband-bohb")


def build_model(hp: Any) -> Any:
    """The tutorial MLP; `hp` is hpcore's or KerasTuner's (same methods)."""
    import keras

    model = keras.Sequential([keras.Input((784,))])
    for i in range(hp.Int("num_layers", 1, 5)):
        model.add(keras.layers.Dense(hp.Int(f"units_{i}", min_value=32, max_value=512, step=32), activation="relu"))
    model.add(keras.layers.Dense(10, activation="softmax"))
    lr = hp.Float("learning_rate", min_value=1e-4, max_value=1e-2, sampling="log")
    optimizer = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD,
                 "rmsprop": keras.optimizers.RMSprop}[hp.Choice("optimizer", ["adam", "sgd", "rmsprop"])]
    model.compile(optimizer=optimizer(learning_rate=lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _fit_clock() -> Any:
    """A callback class summing epochs and the seconds spent inside model.fit, across the deep
    copies both tuners make of it (the totals live on the class)."""
    import keras

    class FitClock(keras.callbacks.Callback):
        epochs = 0
        fit_seconds = 0.0
        fits = 0

        def on_train_begin(self, logs: Any = None) -> None:
            self._t = time.perf_counter()

        def on_train_end(self, logs: Any = None) -> None:
            FitClock.fit_seconds += time.perf_counter() - self._t
            FitClock.fits += 1

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            FitClock.epochs += 1

    return FitClock


def run_arm(arm: str, quick: bool, workdir: str, seed: int = 0) -> dict[str, Any]:
    """Run one arm in this process; returns its figures."""
    from hpcore.adapters.keras.datasets import load_mnist

    (x, y), (xv, yv) = load_mnist(n_samples=500 if quick else None, n_val=100 if quick else 1000, seed=0)
    clock = _fit_clock()
    library, strategy, *variant = arm.split("-")
    max_epochs = 3 if quick else 27
    n_trials, epochs = (3, 2) if quick else (20, 10)
    kw: dict[str, Any] = {"objective": "val_accuracy", "directory": workdir, "project_name": arm,
                          "overwrite": True, "seed": seed}
    fit_kw: dict[str, Any] = {"validation_data": (xv, yv), "callbacks": [clock()], "verbose": 0}
    if library == "hpcore":
        import hpcore.adapters.keras as kt

        if variant == ["1step"]:
            kw["steps_per_execution"] = None
        if variant == ["bohb"]:
            kw["strategy_kwargs"] = {"sampler": "bayes"}
    else:
        import keras_tuner as kt
    if strategy == "hyperband":
        tuner = kt.Hyperband(build_model, max_epochs=max_epochs, factor=3, **kw)
    elif strategy == "random":
        tuner = kt.RandomSearch(build_model, max_trials=n_trials, **kw)
        fit_kw["epochs"] = epochs
    else:
        tuner = kt.BayesianOptimization(build_model, max_trials=n_trials, **kw)
        fit_kw["epochs"] = epochs
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    tuner.search(x, y, **fit_kw)
    wall, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    # Both libraries' best: the best value of any trial (KerasTuner's definition, whatever the
    # trial's budget), and the best among trials trained for the most epochs.
    if library == "hpcore":
        scored = [(t.value, t.budget or epochs) for t in tuner.study.trials if t.ok]
        n = len(tuner.study.trials)
        extra = {k: round(v, 2) if isinstance(v, float) else v for k, v in tuner.stats.items()}
    else:
        scored = [(t.score, t.hyperparameters.values.get("tuner/epochs", epochs))
                  for t in tuner.oracle.trials.values() if t.score is not None]
        n, extra = len(tuner.oracle.trials), {}
    most = max(b for _, b in scored)
    return {"arm": arm, "seed": seed, "trials": n, "epochs": clock.epochs, "epochs_saved": _epochs_saved(tuner, library),
            "best_val_accuracy": max(v for v, _ in scored),
            "best_val_accuracy_full_budget": max(v for v, b in scored if b == most),
            "wall_s": wall, "cpu_s": cpu,
            "fit_s": clock.fit_seconds, "outside_fit_s": wall - clock.fit_seconds,
            **({"details": extra} if extra else {})}


def _epochs_saved(tuner: Any, library: str) -> int:
    """Epochs a promoted configuration did not train again because it continued from its
    previous rung: hpcore's restored epochs; KerasTuner's `tuner/initial_epoch` (it reloads the
    previous rung's weights, not the optimizer state, and trains from that epoch on)."""
    if library == "hpcore":
        return int(tuner.stats["epochs_restored"])
    return sum(int(t.hyperparameters.values.get("tuner/initial_epoch", 0) or 0)
               for t in tuner.oracle.trials.values())


def run_memory(n_trials: int, quick: bool, workdir: str) -> dict[str, Any]:
    """Resident memory after 5 trials and after `n_trials` (random search, 1 epoch each)."""
    import hpcore.adapters.keras as kt
    from hpcore.adapters.keras.datasets import load_mnist
    from hpcore.adapters.keras.memory import rss_bytes

    (x, y), (xv, yv) = load_mnist(n_samples=1000 if quick else None, n_val=200 if quick else 1000, seed=0)
    rss: list[int] = []

    class Probe(kt.HyperModel):
        def build(self, hp: Any) -> Any:  # called at the start of every trial: memory after the previous one
            rss.append(rss_bytes() or 0)
            return build_model(hp)

    tuner = kt.RandomSearch(Probe(), objective="val_accuracy", max_trials=n_trials, directory=workdir,
                            project_name="memory", overwrite=True, seed=0)
    tuner.search(x, y, epochs=1, validation_data=(xv, yv), verbose=0)
    rss.append(rss_bytes() or 0)
    after5, after_n = rss[6], rss[-1]  # rss[0] is the dry build, rss[k] the start of trial k
    return {"trials": n_trials, "rss_after_5_mb": after5 / 2**20, f"rss_after_{n_trials}_mb": after_n / 2**20,
            "ratio": after_n / after5, "ok": after_n <= 1.2 * after5, "gc_s": tuner.stats["gc_s"],
            "clear_session_s": tuner.stats["clear_session_s"]}


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hpcore.benchmarks.mnist_keras", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen, args: list[str]) -> dict[str, Any]:
    stdout, stderr = proc.communicate()
    for line in reversed(stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"benchmark arm {args} failed:\n{stdout[-3000:]}\n{stderr[-3000:]}")


def _subprocess(args: list[str]) -> dict[str, Any]:
    return _result(_start(args), args)


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| arm | trials | epochs trained | epochs saved | wall s | CPU s | in fit s | outside fit s "
             "| best val_acc | at full budget |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['arm']} | {r['trials']} | {r['epochs']} | {r.get('epochs_saved', 0)} | "
                     f"{r['wall_s']:.0f} | {r['cpu_s']:.0f} | "
                     f"{r['fit_s']:.0f} | {r['outside_fit_s']:.1f} | {r['best_val_accuracy']:.4f} | "
                     f"{r.get('best_val_accuracy_full_budget', r['best_val_accuracy']):.4f} |")
    by = {r["arm"]: r for r in results}
    if "hpcore-hyperband" in by and "kt-hyperband" in by:
        h, k = by["hpcore-hyperband"], by["kt-hyperband"]
        lines.append("")
        lines.append(f"hpcore/KerasTuner Hyperband: wall {h['wall_s'] / k['wall_s']:.2f}x, "
                     f"CPU {h['cpu_s'] / k['cpu_s']:.2f}x, epochs {h['epochs']} vs {k['epochs']}, "
                     f"best val_acc {h['best_val_accuracy']:.4f} vs {k['best_val_accuracy']:.4f} "
                     "(target: <= 0.7x wall, >= val_acc)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--arms", default=",".join(ARMS), help=f"comma-separated, from {ARMS + OPTIONAL_ARMS}")
    p.add_argument("--memory", action="store_true", help="memory check instead of the tuning arms")
    p.add_argument("--memory-trials", type=int, default=50)
    p.add_argument("--quick", action="store_true", help="tiny settings (smoke test of the script)")
    p.add_argument("--pairs", action="store_true",
                   help="run hpcore-hyperband and kt-hyperband at the same time (on a shared machine both "
                        "then see the same load; each gets about half the cores)")
    p.add_argument("--seed", type=int, default=0, help="the tuners' seed (the data split stays the same)")
    p.add_argument("--arm", help=argparse.SUPPRESS)  # internal: run one arm in this process
    args = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with tempfile.TemporaryDirectory(prefix="hpcore-mnist-") as workdir:
        if args.arm:
            if args.arm == "memory":
                res = run_memory(args.memory_trials, args.quick, workdir)
            else:
                res = run_arm(args.arm, args.quick, workdir, args.seed)
            print("RESULT " + json.dumps(res), flush=True)
            return 0
        if args.memory:
            res = _subprocess(["--arm", "memory", "--memory-trials", str(args.memory_trials)]
                              + (["--quick"] if args.quick else []))
            print(json.dumps(res, indent=2))
            return 0 if res["ok"] else 1
        arms = []
        for arm in args.arms.split(","):
            if arm.startswith("kt-"):
                try:
                    import keras_tuner  # noqa: F401
                except ImportError:
                    print(f"{arm}: keras-tuner is not installed, skipped", flush=True)
                    continue
            arms.append(arm)
        results = []
        if args.pairs:  # the two Hyperband arms at the same time: both see the same load
            pair = [a for a in ("hpcore-hyperband", "kt-hyperband") if a in arms]
            procs = [(arm, _start(["--arm", arm, "--seed", str(args.seed)] + (["--quick"] if args.quick else []))) for arm in pair]
            for arm, proc in procs:
                res = _result(proc, [arm])
                res["concurrent_with"] = [a for a in pair if a != arm]
                print(json.dumps(res), flush=True)
                results.append(res)
            arms = [a for a in arms if a not in pair]
        for arm in arms:
            res = _subprocess(["--arm", arm, "--seed", str(args.seed)] + (["--quick"] if args.quick else []))
            print(json.dumps(res), flush=True)
            results.append(res)
        print()
        print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
