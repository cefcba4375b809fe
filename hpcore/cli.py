"""The `hpcore` command: run, inspect and plot studies without writing code.

    hpcore demo                                   tune something small on embedded defaults
    hpcore run train.py:objective --space space.json --strategy bayes --trials 100 --storage study.db
    hpcore show study.db [--name N] [--sort value|id] [--top K] [--trial ID]
    hpcore plot study.db [--name N] --out plots/
    hpcore report study.db [--name N] [-o report.html]   one HTML file, no network needed
    hpcore dashboard study.db [--port 8080]       a live view while a study runs
    hpcore bench synthetic ...                    strategy comparison (benchmarks/compare.py)
    hpcore bench mnist ...                        Keras MNIST benchmark (benchmarks/mnist_keras.py)

Errors a user can fix (a missing file, an unknown study or strategy, a bad space file) are one
line on stderr and exit code 2, without a traceback. `show` and `plot` only read a study: they
open the storage directly, so they need neither the study's space nor its strategy's module.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import inspect
import json
import math
import shlex
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["ScriptObjective", "UsageError", "load_objective", "main"]

SUITES = {
    "synthetic": ("hpcore.benchmarks.compare", "strategy comparison on synthetic functions with known optima"),
    "mnist": ("hpcore.benchmarks.mnist_keras", "Keras MLP on MNIST digits, hpcore against KerasTuner"),
}

SPACE_HELP = """\
space.json is the dict form of hpcore.Space (Space.to_dict() / Space.from_dict()): one entry per
parameter, with "type" and that type's arguments:
  {
    "lr":      {"type": "float",  "low": 1e-5, "high": 0.1, "log": true},
    "dropout": {"type": "float",  "low": 0.0,  "high": 0.5, "step": 0.1},
    "units":   {"type": "int",    "low": 16,   "high": 512, "log": true},
    "opt":     {"type": "choice", "values": ["adam", "sgd"]},
    "nesterov":{"type": "bool",   "condition": {"opt": ["sgd"]}},
    "epochs":  {"type": "fixed",  "value": 10}
  }
"condition" makes a parameter active only for the listed values of its parent(s).

The objective is a function in the script: objective(params) -> float (params is a dict), or
objective(params, budget) -> float for --strategy hyperband; it may return a dict with a "value"
key whose other keys are stored with the trial. An exception or a NaN marks the trial FAILED.
"""


class UsageError(Exception):
    """A mistake the user can fix; reported as one line with exit code 2."""


# -- helpers ------------------------------------------------------------------------------------------
def _fmt_value(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _fmt_param(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] | None = None) -> str:
    """A plain-text table with aligned columns."""
    right = right or [False] * len(headers)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _parse_options(items: Sequence[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--option expects KEY=VALUE, got {item!r}")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def _check_strategy(name: str) -> None:
    from hpcore.strategies.base import STRATEGIES

    known = STRATEGIES()
    if name not in known:
        raise UsageError(f"unknown strategy {name!r}; known: {', '.join(known)}")


def _make_strategy(name: str, options: dict[str, Any]) -> Any:
    from hpcore.strategies.base import make_strategy

    _check_strategy(name)
    try:
        return make_strategy(name, **options)
    except TypeError as e:
        from hpcore.strategies.base import strategy_class

        params = [p for p in inspect.signature(strategy_class(name)).parameters if p != "self"]
        raise UsageError(f"strategy {name!r} does not accept these options ({e}); "
                         f"its options: {', '.join(params) or 'none'}") from None
    except ValueError as e:
        raise UsageError(f"strategy {name!r}: {e}") from None


# -- reading study files -------------------------------------------------------------------------------
_SQLITE_HEADER = b"SQLite format 3\x00"


def _open_study_file(path: str) -> Any:
    from hpcore.storage.sqlite import SQLiteStorage

    p = Path(path)
    if not p.exists():
        raise UsageError(f"no such file: {path}")
    if p.is_dir():
        raise UsageError(f"{path} is a folder; expected a study file (SQLite), e.g. runs/demo.db")
    with p.open("rb") as f:
        head = f.read(len(_SQLITE_HEADER))
    if head and head != _SQLITE_HEADER:
        raise UsageError(f"{path} is not a study file (not an SQLite database)")
    import sqlite3

    from hpcore.storage import StudyFileError

    try:
        return SQLiteStorage(p)
    except StudyFileError as e:  # already names the file and the cause
        raise UsageError(str(e)) from None
    except sqlite3.Error as e:
        raise UsageError(f"cannot open {path} as a study file: {e}") from None


def _select(storage: Any, path: str, name: str | None) -> list[Any]:
    records = storage.list_studies()
    if not records:
        raise UsageError(f"{path} holds no studies")
    if name is None:
        return records
    chosen = [r for r in records if r.name == name]
    if not chosen:
        known = ", ".join(r.name for r in records)
        raise UsageError(f"no study named {name!r} in {path}; known: {known}")
    return chosen


def _trials(storage: Any, record: Any) -> list[Any]:
    return storage.trials_since(record.id, 0)[0]


def _strategy_text(config: Any) -> str:
    config = dict(config)
    name = config.pop("name", "?")
    return name + (f" {json.dumps(config)}" if config else "")


# -- hpcore show -------------------------------------------------------------------------------------------
def _recommended(record: Any, trials: list[Any]) -> Any:
    """The noise-aware recommendation (`hpcore.recommendation`), or None without a stored space."""
    from hpcore.recommendation import posterior_best_trial
    from hpcore.space import Space

    if not record.space:
        return None
    return posterior_best_trial(trials, Space.from_dict(record.space), record.direction, seed=record.seed)


def _show_study(record: Any, trials: list[Any], sort: str, top: int, path: str = "STUDY.db") -> str:
    from hpcore.plots import best_trial
    from hpcore.trial import TrialState, last_report

    pruner = (record.attrs or {}).get("pruner")
    lines = [(f"== study {record.name!r}: {record.direction}, strategy {_strategy_text(record.strategy)}, "
              + (f"pruner {_strategy_text(pruner)}, " if pruner else "") + f"seed {record.seed} ==")]
    counts = Counter(t.state.value for t in trials)
    order = [s.value for s in TrialState]
    lines.append(f"trials: {len(trials)}" + (" (" + ", ".join(f"{counts[s]} {s}" for s in order if counts[s]) + ")"
                                                if trials else ""))
    if not trials:
        return "\n".join(lines)
    best = best_trial(trials, record.direction)
    if best is None:
        lines.append("best: none (no trial completed with a finite value)")
    else:
        at = f" at budget {_fmt_value(best.budget)}" if best.budget is not None else ""
        if best.state is TrialState.PRUNED:  # nothing completed: the trial pruned furthest
            last = last_report(best)
            at += (f" (PRUNED at step {last[0]}" if last else " (PRUNED") + "; no trial completed)"
        params = ", ".join(f"{k}={_fmt_param(v)}" for k, v in best.params.items())
        lines.append(f"best: trial {best.id}, value {_fmt_value(best.value)}{at}: {params}")
        rec = _recommended(record, trials)
        if rec is not None and rec.id != best.id:
            params = ", ".join(f"{k}={_fmt_param(v)}" for k, v in rec.params.items())
            lines.append(f"recommended (best GP posterior mean; the best value may be a lucky draw): "
                         f"trial {rec.id}, value {_fmt_value(rec.value)}: {params}")
    sign = 1.0 if record.direction == "minimize" else -1.0
    with_budget = any(t.budget is not None for t in trials)
    if sort == "id":
        ordered = sorted(trials, key=lambda t: t.id)
        how = "by id"
    else:
        def key(t: Any) -> tuple:
            budget = -float(t.budget) if t.budget is not None else 0.0
            if t.ok:
                return (0, budget, sign * t.value, t.id)
            last = last_report(t)
            if t.state is TrialState.PRUNED and t.value is not None and math.isfinite(t.value):
                return (1, -(last[0] if last else -1), sign * t.value, t.id)  # furthest first, then best
            return (2, 0.0, 0.0, t.id)
        ordered = sorted(trials, key=key)
        how = (f"by value ({'largest budget first, ' if with_budget else ''}best first; then pruned, furthest "
               "first; unfinished and failed last)")
    shown = ordered if top <= 0 else ordered[:top]
    names: list[str] = list(record.space) if record.space else []
    for t in trials:
        for k in t.params:
            if k not in names:
                names.append(k)
    with_steps = any(t.intermediate_values for t in trials)
    headers = (["id", "state", "value"] + (["budget"] if with_budget else []) + (["step"] if with_steps else [])
               + ["seconds"] + names)
    rows = []
    for t in shown:
        row = [str(t.id), t.state.value, _fmt_value(t.value)]
        if with_budget:
            row.append(_fmt_value(t.budget))
        if with_steps:  # the last step it reported (where a pruned trial stopped)
            last = last_report(t)
            row.append("-" if last is None else str(last[0]))
        row.append("-" if t.duration is None else f"{t.duration:.3g}")
        row += [_fmt_param(t.params[n]) if n in t.params else "-" for n in names]
        rows.append(row)
    right = [True, False, True] + ([True] if with_budget else []) + ([True] if with_steps else []) + [True] \
        + [False] * len(names)
    more = f" (first {len(shown)} of {len(trials)}; --top 0 shows all)" if len(shown) < len(trials) else ""
    lines.append(f"\ntrials {how}{more}:")
    lines.append(_table(headers, rows, right))
    failed = [t for t in shown if t.state is TrialState.FAILED and t.error]
    if failed:
        last = failed[0].error.strip().splitlines()[-1] if failed[0].error.strip() else ""
        lines.append(f"\nerror of failed trial {failed[0].id}: {textwrap.shorten(last, 160)}")
        lines.append(f"its traceback: hpcore show {shlex.quote(str(path))} --name {shlex.quote(record.name)} "
                     f"--trial {failed[0].id}")
    return "\n".join(lines)


def _when(timestamp: float | None) -> str:
    return "-" if timestamp is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def _indented(text: str, prefix: str = "  ") -> list[str]:
    return [prefix + line for line in text.rstrip().splitlines()]


def _show_trial(record: Any, trial: Any) -> str:
    """One trial whole: everything stored with it, the error's traceback included."""
    lines = [f"== trial {trial.id} of study {record.name!r} ({record.direction}) ==",
             f"state:     {trial.state.value}" + (" (stopped from outside)" if trial.interrupted else ""),
             f"value:     {'-' if trial.value is None else repr(trial.value)}",
             f"budget:    {_fmt_value(trial.budget)}"]
    if trial.previous_budget is not None or trial.config_id is not None:
        lines.append(f"lineage:   configuration {_fmt_value(trial.config_id)}, "
                     f"previous budget {_fmt_value(trial.previous_budget)}")
    lines.append("parameters:" if trial.params else "parameters: none")
    width = max((len(k) for k in trial.params), default=0)
    lines += [f"  {k.ljust(width)} = {v!r}" for k, v in trial.params.items()]
    inactive = [k for k in (record.space or {}) if k not in trial.params]
    if inactive:
        lines.append(f"  inactive: {', '.join(inactive)}")
    duration = f" ({trial.duration:.3f} s)" if trial.duration is not None else ""
    lines += [f"created:   {_when(trial.created_at)}", f"started:   {_when(trial.started_at)}",
              f"finished:  {_when(trial.finished_at)}{duration}"]
    for title, values in (("user attributes", trial.user_attrs), ("strategy info", trial.meta)):
        if values:
            lines.append(f"{title}:")
            lines += [f"  {k}: {json.dumps(v, default=str)}" for k, v in values.items()]
    lines += _reports_lines(trial.intermediate_values)
    if trial.error:
        lines.append("error:")
        lines += _indented(trial.error)
    return "\n".join(lines)


#: `hpcore show --trial` lists this many reports at each end of a longer history.
_REPORTS_SHOWN = 10


def _reports_lines(values: Any) -> list[str]:
    """The intermediate values of one trial, step by step (the first and last ten of many)."""
    if not values:
        return []
    steps = list(values)
    lines = [f"intermediate values: {len(steps)} reports, steps {steps[0]} to {steps[-1]}"]
    head, tail = (steps, []) if len(steps) <= 2 * _REPORTS_SHOWN else (steps[:_REPORTS_SHOWN], steps[-_REPORTS_SHOWN:])
    width = len(str(steps[-1]))
    lines += [f"  step {str(s).rjust(width)}: {_fmt_value(values[s])}" for s in head]
    if tail:
        lines.append(f"  ... {len(steps) - 2 * _REPORTS_SHOWN} more ...")
        lines += [f"  step {str(s).rjust(width)}: {_fmt_value(values[s])}" for s in tail]
    return lines


def _one_trial(storage: Any, args: argparse.Namespace) -> str:
    """`hpcore show FILE --trial ID`: the trial of the one study chosen (--name, or the only one)."""
    if args.sort != "value" or args.top != 20:
        raise UsageError("--trial shows one trial; --sort and --top apply to the table of trials")
    records = _select(storage, args.study, args.name)
    if len(records) > 1:
        raise UsageError(f"{args.study} holds {len(records)} studies ({', '.join(r.name for r in records)}); "
                         "choose one with --name")
    record = records[0]
    trials = _trials(storage, record)
    chosen = [t for t in trials if t.id == args.trial]
    if not chosen:
        have = f"its trials are 0 to {len(trials) - 1}" if trials else "it has no trials"
        raise UsageError(f"no trial {args.trial} in study {record.name!r} ({have})")
    return _show_trial(record, chosen[0])


def cmd_show(args: argparse.Namespace) -> int:
    storage = _open_study_file(args.study)
    try:
        if args.trial is not None:
            print(_one_trial(storage, args))
            return 0
        records = _select(storage, args.study, args.name)
        everything = storage.list_studies()
        if args.name is None and len(everything) > 1:
            print(f"{args.study}: {len(everything)} studies")
            print(_table(["name", "direction", "strategy", "trials"],
                         [[r.name, r.direction, _strategy_text(r.strategy), str(r.n_trials)] for r in everything],
                         [False, False, False, True]))
            print()
        for i, rec in enumerate(records):
            if i:
                print()
            print(_show_study(rec, _trials(storage, rec), args.sort, args.top, path=args.study))
    finally:
        storage.close()
    return 0


# -- hpcore plot ---------------------------------------------------------------------------------------------
def cmd_plot(args: argparse.Namespace) -> int:
    from hpcore import plots

    storage = _open_study_file(args.study)
    try:
        records = _select(storage, args.study, args.name)
        out = Path(args.out) if args.out else Path(args.study).with_name(Path(args.study).stem + "-plots")
        for rec in records:
            trials = _trials(storage, rec)
            report = plots.plot_study(trials, rec.space or None, rec.direction, out, name=rec.name,
                                      metric=plots.metric_name(rec.attrs, trials))
            print(f"study {rec.name!r} ({len(trials)} trials):")
            for f in report.files:
                print(f"  {f}")
            for note in report.notes:
                print(f"  note: {note}")
    finally:
        storage.close()
    return 0


# -- hpcore report, hpcore dashboard ---------------------------------------------------------------------------
def _report_errors(fn: Callable[[], Any]) -> Any:
    """Run `fn`, turning what a user can fix (a file that is not a study file, an unknown study,
    plotly missing, a port in use) into one line with exit code 2."""
    import sqlite3

    from hpcore.report.errors import MissingPlotly, ReportError

    try:
        return fn()
    except (MissingPlotly, ReportError, sqlite3.DatabaseError) as e:  # StudyFileError names the file
        raise UsageError(str(e)) from None


def cmd_report(args: argparse.Namespace) -> int:
    from hpcore.report.build import write_report

    path = _report_errors(lambda: write_report(args.study, out=args.out, names=args.name))
    print(f"report written to {path}")
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    from hpcore.report.server import serve

    if args.poll <= 0:
        raise UsageError("--poll must be > 0 seconds")
    _report_errors(lambda: serve(args.study, host=args.host, port=args.port, poll_seconds=args.poll))
    return 0


# -- hpcore run --------------------------------------------------------------------------------------------------
@functools.cache
def _load_module(path: str) -> Any:
    """Execute a script file as a module (once per process)."""
    folder = str(Path(path).parent)
    if folder not in sys.path:  # as `python script.py` would: sibling modules are importable
        sys.path.insert(0, folder)
    mod_name = "_hpcore_script_" + "".join(ch if ch.isalnum() else "_" for ch in Path(path).stem)
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot load {path} as a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_objective(spec: str) -> tuple[Path, str, Callable[..., Any]]:
    """`script.py:function` -> (resolved path, function name, the function)."""
    path_text, sep, func = spec.rpartition(":")
    if not sep or not path_text or not func:
        raise UsageError(f"expected SCRIPT.py:FUNCTION (e.g. train.py:objective), got {spec!r}")
    path = Path(path_text)
    if not path.is_file():
        raise UsageError(f"no such file: {path_text}")
    path = path.resolve()
    try:
        module = _load_module(str(path))
    except UsageError:
        raise
    except (Exception, SystemExit) as e:
        where = ""
        tb = e.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == str(path):
                where = f" (line {tb.tb_lineno})"
            tb = tb.tb_next
        raise UsageError(f"could not load {path_text}{where}: {type(e).__name__}: {e}") from None
    fn = getattr(module, func, None)
    if fn is None or not callable(fn):
        found = sorted(k for k, v in vars(module).items()
                       if inspect.isfunction(v) and v.__module__ == module.__name__ and not k.startswith("_"))
        raise UsageError(f"{path_text} has no function {func!r}; functions in it: {', '.join(found) or 'none'}")
    return path, func, fn


class ScriptObjective:
    """A function in a script file, picklable as (path, name): each worker process loads the
    script once, so objectives defined in scripts run in a process pool."""

    def __init__(self, path: Path, name: str, fn: Callable[..., Any]) -> None:
        self.path, self.name = str(path), name
        self._fn: Callable[..., Any] | None = fn
        try:  # `call_style` reads this: the objective's own signature, not (*args, **kwargs)
            self.__signature__ = inspect.signature(fn)
        except (TypeError, ValueError):
            pass

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._fn is None:
            self._fn = getattr(_load_module(self.path), self.name)
        return self._fn(*args, **kwargs)

    def __getstate__(self) -> dict:
        return {"path": self.path, "name": self.name}

    def __setstate__(self, state: dict) -> None:
        self.path, self.name, self._fn = state["path"], state["name"], None


def _load_space(path_text: str) -> Any:
    from hpcore.space import Space

    path = Path(path_text)
    if not path.is_file():
        raise UsageError(f"no such file: {path_text}")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise UsageError(f"{path_text} is not valid JSON: {e}") from None
    if not isinstance(data, dict) or not data:
        raise UsageError(f"{path_text} must hold a JSON object with one entry per parameter "
                         "(see hpcore run --help)")
    for name, d in data.items():
        if not isinstance(d, dict) or "type" not in d:
            raise UsageError(f"{path_text}: parameter {name!r} needs a dict with a \"type\" "
                             "(float, int, choice, bool, fixed)")
    try:
        return Space.from_dict(data)
    except TypeError as e:
        raise UsageError(f"{path_text}: {e}") from None
    except ValueError as e:
        raise UsageError(f"{path_text}: {e}") from None


def _settings_error(e: ValueError) -> UsageError:
    """A study that exists with other settings, worded for the command line (one hint)."""
    from hpcore.study import SettingsMismatch

    if not isinstance(e, SettingsMismatch):
        return UsageError(str(e).replace("\n", " "))
    what = "; ".join(f"{k}: {' '.join(v.split())}" for k, v in e.problems.items())
    hint = "use another --name for a new study" + (
        ", or --allow-changes to switch the stored study's strategy" if "strategy" in e.problems else "")
    return UsageError(f"study {e.study_name!r} exists with other settings: {what} ({hint})")


def _open_run_study(args: argparse.Namespace, space: Any, strategy: Any, name: str) -> Any:
    """Create or resume the study of `hpcore run`, saying which."""
    from hpcore.storage.base import open_storage
    from hpcore.study import Study

    if Path(args.storage).is_file():
        _open_study_file(args.storage).close()  # a clear error for a file that is not a study file
    storage = open_storage(args.storage)
    existing = storage.get_study(name)
    direction = args.direction or (existing.direction if existing is not None else "minimize")
    try:
        study = Study(space, strategy=strategy, direction=direction, storage=storage, name=name,
                      seed=args.seed, allow_changes=args.allow_changes)
    except ValueError as e:
        raise _settings_error(e) from None
    if existing is not None:
        switched = (f"; strategy now {_strategy_text(study.strategy.config())}, was "
                    f"{_strategy_text(existing.strategy)}" if dict(existing.strategy) != study.strategy.config()
                    else "")
        print(f"resuming study {name!r} in {args.storage} ({existing.n_trials} trials so far{switched})")
    return study


def _finished(trials: Sequence[Any]) -> int:
    return sum(t.state.finished and not t.interrupted for t in trials)


def _report_all_failed(e: Exception, study: Any, before: int, args: argparse.Namespace) -> None:
    """Every trial of this run failed: the first error whole (its traceback), and where to see more."""
    from hpcore.trial import TrialState

    print(f"hpcore: {str(e).rstrip()}", file=sys.stderr)
    failed = [t for t in study.trials[before:] if t.state is TrialState.FAILED and not t.interrupted]
    if failed:
        print(f"hpcore: a trial in full, its traceback included: hpcore show {shlex.quote(args.storage)} "
              f"--name {shlex.quote(study.name)} --trial {failed[0].id}", file=sys.stderr)


def _report_interrupt(study: Any, args: argparse.Namespace) -> None:
    """After Ctrl-C: what is kept, and the command that resumes (the same one)."""
    command = "hpcore " + shlex.join(getattr(args, "argv", None) or sys.argv[1:])
    print(f"hpcore: interrupted; study {study.name!r} keeps its {_finished(study.trials)} finished trials in "
          f"{args.storage}", file=sys.stderr)
    print(f"hpcore: to resume, run the same command again:\n  {command}", file=sys.stderr)


def cmd_run(args: argparse.Namespace) -> int:
    from hpcore.study import TooManyFailures, natural_n_trials

    if args.trials is not None and args.trials < 0:
        raise UsageError("--trials must be >= 0")
    if args.workers < 1:
        raise UsageError("--workers must be >= 1")
    space = _load_space(args.space)
    strategy = _make_strategy(args.strategy, _parse_options(args.option))
    path, func, fn = load_objective(args.objective)
    name = args.name or f"{path.stem}-{func}"
    study = _open_run_study(args, space, strategy, name)
    objective: Callable[..., Any] = ScriptObjective(path, func, fn) if args.workers > 1 else fn
    before = len(study.trials)
    n_trials = natural_n_trials(study) if args.trials is None else args.trials
    try:
        result = study.optimize(objective, n_trials=n_trials, timeout=args.timeout, n_workers=args.workers,
                                verbose=not args.quiet)
    except TypeError as e:  # the objective's signature does not fit the strategy
        raise UsageError(f"{args.objective}: {e}") from None
    except TooManyFailures as e:
        _report_all_failed(e, study, before, args)
        return 1
    except KeyboardInterrupt:
        _report_interrupt(study, args)
        return 130
    trials = result.trials
    counts = Counter(t.state.value for t in trials)
    print(f"study {name!r} in {args.storage}: {len(trials)} trials ("
          + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + ")")
    if result.best_trial is None:
        print("no trial completed")
    else:
        best = result.best_trial
        print(f"best value {_fmt_value(best.value)} (trial {best.id}): "
              + ", ".join(f"{k}={_fmt_param(v)}" for k, v in best.params.items()))
    print(f"inspect: hpcore show {args.storage} --name {name}    plot: hpcore plot {args.storage} --name {name}")
    return 0


# -- hpcore demo -------------------------------------------------------------------------------------------------------
def cmd_demo(args: argparse.Namespace) -> int:
    from hpcore import demo

    if args.trials is not None and args.trials < 1:
        raise UsageError("--trials must be >= 1")
    demo.run_demo(out=args.out, trials=args.trials, seed=args.seed, synthetic=args.synthetic,
                  verbose=not args.quiet)
    return 0


# -- hpcore bench -----------------------------------------------------------------------------------------------------
def run_suite(suite: str, argv: list[str]) -> int:
    if suite not in SUITES:
        raise UsageError(f"unknown benchmark {suite!r}; known: {', '.join(SUITES)}")
    module_name = SUITES[suite][0]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name in (module_name, module_name.rpartition(".")[0]):
            raise UsageError(f"the {suite!r} benchmark is not available: module {module_name} is missing "
                             "(it ships with a source checkout of hpcore)") from None
        raise UsageError(f"the {suite!r} benchmark needs {e.name!r}, which is not installed") from None
    entry = getattr(module, "main", None)
    if entry is None:
        raise UsageError(f"{module_name} has no main(argv) function")
    # A suite's argparse parser names itself after sys.argv[0] ("hpcore"); show the command that
    # reaches it instead, so its usage line reads `hpcore bench SUITE [-h] ...`.
    program, sys.argv[0] = sys.argv[0], f"hpcore bench {suite}"
    try:
        code = entry(argv)
    finally:
        sys.argv[0] = program
    return code if isinstance(code, int) else 0


def cmd_bench(args: argparse.Namespace) -> int:
    return run_suite(args.suite, list(args.rest))


# -- the parser ------------------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from hpcore import __version__

    parser = argparse.ArgumentParser(
        prog="hpcore", description="Hyperparameter optimisation: run, inspect and plot studies.",
        epilog="Start with `hpcore demo`; `hpcore COMMAND --help` describes each command.")
    parser.add_argument("--version", action="version", version=f"hpcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("demo", help="tune a small model on embedded defaults",
                       description="Tune a small Keras MLP on bundled MNIST digits with Hyperband (when TensorFlow "
                                   "and hpcore's Keras adapter are installed), otherwise a synthetic problem "
                                   "(Hartmann-6) with Bayesian optimisation. The Keras demo stores its study in "
                                   "OUT/NAME/study.db (NAME is demo-mnist-hyperband-DATE-TIME), the synthetic one "
                                   "in OUT/demo.db; plots go to OUT/demo-plots/. The study's path and the command "
                                   "to inspect it are printed at the end, then the path of its HTML report, "
                                   "written next to the study file (STUDY-report.html; needs plotly).")
    p.add_argument("--out", default="runs", help="folder for the study file and plots (default: runs)")
    p.add_argument("--trials", type=int, default=None,
                   help="trials of the synthetic demo (default 30 with bayes, 200 with random); the Keras demo "
                        "runs one Hyperband iteration")
    p.add_argument("--seed", type=int, default=0, help="study seed (default 0)")
    p.add_argument("--synthetic", action="store_true", help="run the synthetic demo even if Keras is available")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("run", help="tune a function in a Python file",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Tune SCRIPT.py:FUNCTION over the space in a JSON file and store every trial.\n\n"
                                   + SPACE_HELP,
                       epilog="example: hpcore run train.py:objective --space space.json --strategy bayes "
                              "--trials 100 --storage study.db")
    p.add_argument("objective", metavar="SCRIPT.py:FUNCTION", help="the objective function and its file")
    p.add_argument("--space", required=True, metavar="SPACE.json", help="search space (format above)")
    p.add_argument("--strategy", default="random",
                   help="random, grid, bayes, hyperband... (those installed; default random)")
    p.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="strategy option, repeatable; VALUE is JSON (e.g. --option max_budget=81)")
    p.add_argument("--trials", type=int, default=None,
                   help="trials to run now (default: the rest of a Hyperband plan or a grid, else 100)")
    p.add_argument("--timeout", type=float, default=None, help="stop starting trials after this many seconds")
    p.add_argument("--storage", default="study.db", metavar="STUDY.db",
                   help="SQLite file; an existing study of the same name is resumed (default study.db)")
    p.add_argument("--name", default=None, help="study name (default SCRIPT-FUNCTION)")
    p.add_argument("--direction", choices=("minimize", "maximize"), default=None,
                   help="default: minimize, or the stored direction when resuming")
    p.add_argument("--seed", type=int, default=None, help="study seed (default: random, stored with the study)")
    p.add_argument("--workers", type=int, default=1, help="parallel worker processes (default 1)")
    p.add_argument("--allow-changes", action="store_true", help="resume a stored study with another strategy")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("show", help="list the studies in a file and their trials",
                       description="Studies in a study file, then per study: counts by state, the best trial and "
                                   "a table of trials.")
    p.add_argument("study", metavar="STUDY.db", help="study file (SQLite)")
    p.add_argument("--name", default=None, help="only this study (default: every study in the file)")
    p.add_argument("--sort", choices=("value", "id"), default="value", help="row order (default value, best first)")
    p.add_argument("--top", type=int, default=20, help="rows per study (default 20; 0 for all)")
    p.add_argument("--trial", type=int, default=None, metavar="ID",
                   help="show this trial whole: parameters, value, state, budget, timings, user attributes and the "
                        "error with its traceback (needs --name when the file holds several studies)")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("plot", help="plot studies as PNG files",
                       description="Optimisation history, parameters against the value, parallel coordinates "
                                   "of the best trials, Hyperband rungs (multi-fidelity studies) and learning curves "
                                   "(trials that reported intermediate values, or Keras per-epoch histories); one PNG "
                                   "each: NAME_history.png, NAME_params.png, NAME_parallel.png, NAME_rungs.png, "
                                   "NAME_curves.png. The value axis is named after the study's metric when known "
                                   "(the study attribute 'metric', or the Keras objective). Needs matplotlib "
                                   "(pip install 'hpcore[plot]').")
    p.add_argument("study", metavar="STUDY.db", help="study file (SQLite)")
    p.add_argument("--name", default=None, help="only this study (default: every study in the file)")
    p.add_argument("--out", default=None, metavar="DIR", help="output folder (default: STUDY-plots next to the file)")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("report", help="write a study as one HTML file (no network needed to open it)",
                       description="One self-contained HTML page of the studies in a study file: summary, optimisation "
                                   "history, parameter importance (functional ANOVA of hpcore's GP), contour, each "
                                   "parameter against the value, parallel coordinates, Hyperband rungs, learning "
                                   "curves, a sortable and filterable table of trials and the failed trials' "
                                   "tracebacks. The file is read-only to it, so a running study can be reported. "
                                   "Needs plotly (pip install 'hpcore[report]').")
    p.add_argument("study", metavar="STUDY.db", help="study file (SQLite)")
    p.add_argument("--name", action="append", default=None, metavar="NAME",
                   help="only this study (repeatable; default: every study in the file, one page with a study picker)")
    p.add_argument("-o", "--out", default=None, metavar="REPORT.html",
                   help="the file to write (default: STUDY-report.html next to the study file)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("dashboard", help="serve a live view of the studies in a file",
                       description="A local web server showing the report page of each study in a study file, "
                                   "updated in place while a study runs (the page polls every --poll seconds). "
                                   "Read-only: the file is opened read-only, and the server serves nothing but "
                                   "its page and its JSON. Ctrl-C stops it. Needs plotly (pip install "
                                   "'hpcore[report]').")
    p.add_argument("study", metavar="STUDY.db", help="study file (SQLite)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 takes a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 lets others connect)")
    p.add_argument("--poll", type=float, default=2.0, metavar="SECONDS",
                   help="seconds between the page's checks for new trials (default 2)")
    p.set_defaults(func=cmd_dashboard)

    p = sub.add_parser("bench", help="benchmarks: synthetic strategy comparison, Keras MNIST",
                       description="Run a benchmark suite; arguments after the suite name go to it "
                                   "(hpcore bench synthetic --help).\n\n"
                                   + "\n".join(f"  {k:10s} {v[1]}" for k, v in SUITES.items()),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("suite", choices=list(SUITES), help="which benchmark")
    p.add_argument("rest", nargs=argparse.REMAINDER, help="the suite's own arguments")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `hpcore` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if len(argv) >= 2 and argv[0] == "bench" and argv[1] in SUITES:
            return run_suite(argv[1], argv[2:])  # the suite parses (and documents) its own options
        args = build_parser().parse_args(argv)
        args.argv = argv  # `hpcore run` repeats its command line in the resume hint after Ctrl-C
        return int(args.func(args))
    except SystemExit as e:  # argparse: --help (0) or a usage error (2, already printed)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    except UsageError as e:
        print(f"hpcore: error: {e}", file=sys.stderr)
        return 2
    except ImportError as e:
        from hpcore.plots import MissingMatplotlib

        if isinstance(e, MissingMatplotlib):
            print(f"hpcore: error: {e}", file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        print("hpcore: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
