"""A fast start: `import hpcore`, a grid or random search and `hpcore --help` never load the
Gaussian-process stack (numba, `hpcore.gp`, SciPy's optimisers) nor matplotlib.

Each check runs a plain script in a fresh interpreter, as a user would, and reads that
process's `sys.modules`; the pytest process has long imported everything. No timing is
asserted here: `python -m hpcore.benchmarks.startup` measures the times.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import hpcore
import hpcore.strategies
from hpcore.strategies.base import STRATEGIES, make_strategy, strategy_class, strategy_from_config

#: Modules a grid or random user must not pay for.
HEAVY = ("numba", "hpcore.gp", "hpcore.strategies.bayes", "scipy.optimize", "matplotlib")

#: Appended to every script: prints which of HEAVY the process loaded, as JSON on the last line.
_REPORT = f"""
import json as _json, sys as _sys
print(_json.dumps(sorted(m for m in {HEAVY!r} if m in _sys.modules)))
"""


def heavy_modules_after(script: str, folder: Path) -> tuple[list[str], str]:
    """Run `script` as a plain file in a fresh `python`; (HEAVY modules it loaded, its stdout)."""
    path = folder / "user_script.py"
    path.write_text(textwrap.dedent(script) + _REPORT)
    r = subprocess.run([sys.executable, str(path)], cwd=folder, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    return json.loads(lines[-1]), "\n".join(lines[:-1])


def test_import_loads_no_heavy_module_and_lists_lazy_names(tmp_path):
    loaded, out = heavy_modules_after("""
        import hpcore
        print(all(n in dir(hpcore) for n in ("BayesianOptimization", "Hyperband", "DaskExecutor")))
    """, tmp_path)
    assert loaded == [] and out == "True"


def test_random_and_grid_searches_load_no_heavy_module(tmp_path):
    loaded, out = heavy_modules_after("""
        import hpcore

        space = hpcore.Space({"x": hpcore.Float(0.0, 1.0), "n": hpcore.Int(1, 4)})
        def objective(params):
            return (params["x"] - 0.3) ** 2 + params["n"]

        random = hpcore.Study(space, strategy="random", seed=0)
        random.optimize(objective, n_trials=5, verbose=False)
        stored = hpcore.Study(space, strategy="random", storage="study.db", name="r", seed=0)
        stored.optimize(objective, n_trials=5, verbose=False)
        grid = hpcore.Study(space, strategy=hpcore.GridSearch(grid_points=2), seed=0)
        grid.optimize(objective, n_trials=5, verbose=False)
        result = hpcore.minimize(objective, space, strategy=hpcore.GridSearch(grid_points=3), n_trials=3, seed=0,
                                 verbose=False)
        print(len(random.trials), len(stored.trials), len(grid.trials), len(result.trials))
    """, tmp_path)
    assert out == "5 5 5 3"
    assert loaded == []


def test_the_check_sees_the_gp_stack_when_bayes_is_used(tmp_path):
    """The positive control: the same probe does report numba once the Bayesian strategy is made."""
    loaded, _ = heavy_modules_after("""
        import hpcore
        hpcore.Study(hpcore.Space({"x": hpcore.Float(0.0, 1.0)}), strategy="bayes", seed=0)
    """, tmp_path)
    assert {"numba", "hpcore.gp", "hpcore.strategies.bayes"} <= set(loaded)


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["demo", "--help"], ["bench", "--help"],
                                  ["show", "--help"], ["--version"]])
def test_cli_help_loads_no_heavy_module(tmp_path, argv):
    loaded, out = heavy_modules_after(f"""
        from hpcore.cli import main
        print("exit", main({argv!r}))
    """, tmp_path)
    assert out.splitlines()[-1] == "exit 0"
    assert loaded == []


def test_registry_names_and_rejects_strategies_without_importing_them(tmp_path):
    loaded, out = heavy_modules_after("""
        import sys
        from hpcore.strategies.base import STRATEGIES, make_strategy
        print(",".join(STRATEGIES()))
        try:
            make_strategy("gaussian")
        except ValueError as e:
            print(e)
        print("hpcore.strategies.hyperband" in sys.modules)
    """, tmp_path)
    names, error, hyperband_loaded = out.splitlines()
    assert names == "bayes,grid,hyperband,random"
    assert error == "unknown strategy 'gaussian'; known: bayes, grid, hyperband, random"
    assert loaded == [] and hyperband_loaded == "False"


@pytest.mark.parametrize("name", STRATEGIES())
def test_every_registered_name_builds_and_round_trips_its_config(name):
    strategy = make_strategy(name)
    assert type(strategy) is strategy_class(name) and strategy.name == name
    again = strategy_from_config(strategy.config())
    assert type(again) is type(strategy) and again.config() == strategy.config()


def test_lazy_public_names_resolve_to_the_strategy_classes():
    assert {"BayesianOptimization", "Hyperband", "DaskExecutor"} <= set(hpcore.__all__)
    assert set(hpcore.__all__) <= set(dir(hpcore))
    for name in hpcore.__all__:
        assert getattr(hpcore, name) is not None
    assert hpcore.BayesianOptimization is hpcore.strategies.BayesianOptimization is strategy_class("bayes")
    assert hpcore.Hyperband is hpcore.strategies.Hyperband is strategy_class("hyperband")
    assert set(hpcore.strategies.__all__) <= set(dir(hpcore.strategies))
    with pytest.raises(AttributeError, match="no attribute 'Bayes'"):
        hpcore.Bayes  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'Bayes'"):
        hpcore.strategies.Bayes  # noqa: B018


def test_installed_console_script_help_loads_no_heavy_module(tmp_path):
    """`hpcore --help` itself, as a user types it: the interpreter lists what it imports
    (PYTHONPROFILEIMPORTTIME, the `-X importtime` switch as a variable) on stderr."""
    script = Path(sys.executable).with_name("hpcore")
    if not script.exists():
        pytest.skip("the hpcore console script is not installed next to this interpreter")
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    r = subprocess.run([str(script), "--help"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "usage: hpcore" in r.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")}
    assert "hpcore.cli" in imported  # the listing is real
    assert not imported & set(HEAVY)


def test_a_quiet_run_does_not_import_tqdm(tmp_path):
    path = tmp_path / "quiet.py"
    path.write_text(textwrap.dedent("""
        import sys
        import hpcore
        space = hpcore.Space({"x": hpcore.Float(0.0, 1.0)})
        hpcore.minimize(lambda p: p["x"], space, n_trials=3, seed=0, verbose=False)
        print("tqdm" in sys.modules)
    """))
    r = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_the_progress_bar_outside_a_notebook_skips_tqdm_auto(tmp_path):
    """tqdm.auto (asyncio, IPython checks) doubles tqdm's import time; only a Jupyter kernel needs it."""
    path = tmp_path / "bar.py"
    path.write_text(textwrap.dedent("""
        import sys
        import hpcore
        space = hpcore.Space({"x": hpcore.Float(0.0, 1.0)})
        hpcore.minimize(lambda p: p["x"], space, n_trials=3, seed=0)
        print("tqdm.std" in sys.modules, "tqdm.auto" in sys.modules)
    """))
    r = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "False"]
