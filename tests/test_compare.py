"""benchmarks/compare.py (the synthetic comparison runner) and a smoke run of benchmarks/micro."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hpcore.benchmarks import compare
from hpcore.benchmarks.functions import ObservationNoise, get_function, value_scale

from hpcore.strategies.base import STRATEGIES
from tests.test_plots import assert_png

ROOT = Path(__file__).resolve().parents[1]


def _check_record(rec: dict, trials: int) -> None:
    assert rec["error"] == "", rec["error"]
    assert len(rec["best"]) == len(rec["elapsed"]) == trials
    best = np.array(rec["best"], dtype=float)
    finite = best[np.isfinite(best)]
    assert finite.size and np.all(finite >= rec["optimum"] - 1e-9)
    assert np.all(np.diff(finite) <= 0)  # best so far never gets worse
    assert np.all(np.diff(rec["elapsed"]) >= 0)
    assert rec["suggest_seconds"] >= 0 and rec["n_trials"] >= 1


@pytest.mark.parametrize("strategy", [s for s in ("random", "grid", "bayes") if s in STRATEGIES()])
def test_hpcore_runs_record_regret_curves(strategy):
    rec = compare.run_task(compare.Task(f"hpcore:{strategy}", "branin", 0, 8))
    _check_record(rec, 8)
    assert rec["function"] == "branin" and rec["label"] == f"hpcore {strategy}"


def test_same_seed_same_curve_for_random_search():
    a = compare.run_task(compare.Task("hpcore:random", "hartmann6", 3, 6))
    b = compare.run_task(compare.Task("hpcore:random", "hartmann6", 3, 6))
    c = compare.run_task(compare.Task("hpcore:random", "hartmann6", 4, 6))
    assert a["best"] == b["best"] != c["best"]


def test_grid_has_about_trials_points():
    s, note = compare._grid_strategy(get_function("branin"), 50)
    assert (s.grid_points, s.shuffle) == (7, False) and "49 points" in note
    s, note = compare._grid_strategy(get_function("hartmann6"), 50)
    assert (s.grid_points, s.shuffle) == (2, True) and "64 points" in note
    rec = compare.run_task(compare.Task("hpcore:grid", "branin", 0, 12))  # 3 x 3 grid, then carried on
    _check_record(rec, 12)
    assert rec["n_trials"] == 9 and "exhausted after 9" in rec["note"]
    assert rec["best"][8:] == [rec["best"][8]] * 4


@pytest.mark.skipif("hyperband" not in STRATEGIES(), reason="Hyperband strategy not installed")
def test_hyperband_counts_cost_in_full_evaluations_and_regret_at_full_budget():
    trials = 10
    rec = compare.run_task(compare.Task("hpcore:hyperband", "branin", 0, trials))
    _check_record(rec, trials)
    assert rec["n_trials"] > trials  # many cheap trials for the cost of 10 full ones
    # Every recorded best is the exact (full-budget) function value of some configuration, so it is
    # at least the optimum; before the first full-budget result there is nothing to report.
    assert math.isnan(rec["best"][0]) or rec["best"][0] >= rec["optimum"]


def test_rank_table_averages_ties_and_ranks_nan_last():
    def rec(method, seed, final):
        return {"method": method, "function": "f", "seed": seed, "optimum": 0.0, "best": [5.0, final], "error": ""}

    records = [rec("a", 0, 1.0), rec("b", 0, 1.0), rec("c", 0, 0.5), rec("d", 0, math.nan),
               rec("a", 1, 0.1), rec("b", 1, 0.2), rec("c", 1, 0.3), rec("d", 1, 0.4)]
    ranks = compare.rank_table(records)
    assert ranks[("f", "c")] == pytest.approx((1 + 3) / 2)
    assert ranks[("f", "a")] == pytest.approx((2.5 + 1) / 2)
    assert ranks[("f", "b")] == pytest.approx((2.5 + 2) / 2)
    assert ranks[("f", "d")] == pytest.approx((4 + 4) / 2)


def test_main_writes_table_results_and_plots(tmp_path, capsys):
    out = tmp_path / "res"
    code = compare.main(["--strategies", "random,grid", "--functions", "branin,hartmann6", "--trials", "6",
                         "--seeds", "2", "--jobs", "1", "--out", str(out), "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    summary = (out / "summary.md").read_text()
    assert summary in printed
    for header in ("mean regret", "median regret", "mean log10 regret", "mean rank", "ms / suggestion"):
        assert header in summary
    assert "### branin" in summary and "### hartmann6" in summary and "### overall" in summary
    # a row in each function's table, the overall table and the mean log10 regret table
    assert summary.count("| hpcore random |") == 4 and summary.count("| hpcore grid |") == 4
    assert "| hpcore grid vs hpcore random |" in summary  # head to head
    data = json.loads((out / "results.json").read_text())
    assert len(data["runs"]) == 2 * 2 * 2 and data["trials"] == 6
    for name in ("regret_trials.png", "regret_time.png"):
        assert_png(out / name, min_width=600, min_height=300)


def test_main_in_a_process_pool_with_other_libraries(tmp_path, capsys):
    extras = [w for w, (_, mod, _) in compare.EXTERNAL.items()
              if w in ("optuna", "skopt") and importlib.util.find_spec(mod) is not None]
    code = compare.main(["--strategies", "random", "--functions", "branin", "--trials", "4", "--seeds", "2",
                         "--jobs", "2", "--with", ",".join(extras), "--out", str(tmp_path), "--quiet"])
    assert code == 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert {r["method"] for r in data["runs"]} == {"hpcore:random", *extras}
    for r in data["runs"]:
        _check_record(r, 4)
    capsys.readouterr()


@pytest.mark.parametrize("method", ["optuna", "optuna-gp", "skopt", "keras-tuner"])
def test_other_libraries_run_on_the_same_problem(method):
    _, module, extra = compare.EXTERNAL[method]
    pytest.importorskip(module)
    if extra:
        pytest.importorskip(extra)
    rec = compare.run_task(compare.Task(method, "branin", 0, 3))
    _check_record(rec, 3)


def test_unknown_and_missing_methods(tmp_path, capsys, monkeypatch):
    assert compare.main(["--strategies", "annealing", "--out", str(tmp_path)]) == 2
    assert "unknown strategy 'annealing'" in capsys.readouterr().err
    assert compare.main(["--strategies", "random", "--with", "hyperopt", "--out", str(tmp_path)]) == 2
    assert "unknown --with 'hyperopt'" in capsys.readouterr().err
    assert compare.main(["--functions", "nosuch", "--out", str(tmp_path)]) == 2
    assert "unknown test function" in capsys.readouterr().err
    # a strategy another engineer has not delivered yet, and a library that is not installed: skipped with a note
    monkeypatch.setattr("hpcore.strategies.base.STRATEGIES", lambda: ["grid", "random"])
    monkeypatch.setattr(compare, "_available", lambda module: module != "skopt")
    code = compare.main(["--strategies", "random,bayes", "--functions", "branin", "--trials", "3", "--seeds", "1",
                         "--jobs", "1", "--with", "skopt", "--out", str(tmp_path), "--quiet"])
    assert code == 0
    err = capsys.readouterr().err
    assert "hpcore bayes: strategy not installed yet, skipped" in err and "skopt is not installed" in err
    assert "skipped" in (tmp_path / "summary.md").read_text()


def test_strategy_options_reach_the_constructor(tmp_path, capsys):
    assert compare.strategy_spec("bayes+thompson_every=0+n_candidates=2048") == (
        "bayes", {"thompson_every": 0, "n_candidates": 2048})
    assert compare.strategy_spec("random") == ("random", {})
    rec = compare.run_task(compare.Task("hpcore:bayes+n_initial=8", "branin", 0, 10))
    assert rec["label"] == "hpcore bayes+n_initial=8" and not rec["error"]
    _check_record(rec, 10)
    # the option reaches BayesianOptimization's constructor, which rejects this value
    assert "n_initial" in compare.run_task(compare.Task("hpcore:bayes+n_initial=0", "branin", 0, 3))["error"]
    for bad, message in [("bayes+thompson_every", "is not key=value"), ("bayes+n_initial=abc", "Python literal"),
                         ("bayes+no_such_option=1", "no_such_option"), ("grid+grid_points=3", "configures grid")]:
        assert compare.main(["--strategies", bad, "--functions", "branin", "--out", str(tmp_path)]) == 2
        assert message in capsys.readouterr().err, bad


def test_micro_benchmarks_smoke():
    """Every micro-benchmark once, at tiny size, without timing (they are not in the default run)."""
    pytest.importorskip("pytest_benchmark")
    env = {**os.environ, "HPCORE_MICRO_TINY": "1"}
    r = subprocess.run([sys.executable, "-m", "pytest", "benchmarks/micro", "--benchmark-disable", "-q",
                        "-p", "no:cacheprovider", "-rs"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert " passed" in r.stdout and "failed" not in r.stdout
    collected = subprocess.run([sys.executable, "-m", "pytest", "benchmarks/micro", "--collect-only", "-q",
                                "-p", "no:cacheprovider"], cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=600, check=False)
    expected = sum(1 for line in collected.stdout.splitlines() if "::" in line)
    assert expected >= 6  # kernels, likelihood gradient, asks at several sizes, storage, ...
    assert f"{expected} passed" in r.stdout or "skipped" in r.stdout


def test_observation_noise_has_the_asked_spread_and_is_seeded():
    fn = get_function("branin")
    scale = value_scale(fn)
    assert scale == pytest.approx(np.std([fn(p) for p in np.random.default_rng([0, 20240611]).uniform(
        fn.lower, fn.upper, size=(256, fn.dims))]))
    exact = ObservationNoise(fn, 0.0, seed=0)
    assert exact.observe(1.25) == 1.25
    noisy = ObservationNoise(fn, 0.1, seed=3)
    draws = np.array([noisy.observe(2.0) for _ in range(4000)])
    assert abs(np.mean(draws) - 2.0) < 4 * 0.1 * scale / np.sqrt(4000)
    assert np.std(draws) == pytest.approx(0.1 * scale, rel=0.05)
    again = ObservationNoise(fn, 0.1, seed=3)
    assert [again.observe(2.0) for _ in range(5)] == list(draws[:5])
    assert [ObservationNoise(fn, 0.1, seed=4).observe(2.0) for _ in range(5)] != list(draws[:5])
    with pytest.raises(ValueError, match="relative noise"):
        ObservationNoise(fn, -0.1, seed=0)


def test_noisy_runs_report_the_noiseless_regret(tmp_path, capsys):
    # Random search ignores the values it is told, so its noiseless regret curve cannot change ...
    exact = compare.run_task(compare.Task("hpcore:random", "branin", 0, 12))
    noisy = compare.run_task(compare.Task("hpcore:random", "branin", 0, 12, noise=0.5))
    assert noisy["best"] == exact["best"]
    # ... while Bayesian optimisation is told the noisy values and goes elsewhere.
    exact = compare.run_task(compare.Task("hpcore:bayes", "branin", 0, 20))
    noisy = compare.run_task(compare.Task("hpcore:bayes", "branin", 0, 20, noise=0.5))
    assert not noisy["error"] and noisy["best"][:5] == exact["best"][:5] and noisy["best"] != exact["best"]
    assert compare.main(["--strategies", "random", "--functions", "branin", "--trials", "4", "--seeds", "1",
                         "--jobs", "1", "--noise", "0.2", "--out", str(tmp_path), "--quiet"]) == 0
    assert "noise of sd 0.2" in (tmp_path / "summary.md").read_text()
    assert json.loads((tmp_path / "results.json").read_text())["noise"] == 0.2
    assert compare.main(["--strategies", "random", "--noise", "-1", "--out", str(tmp_path)]) == 2
    assert "--noise must be" in capsys.readouterr().err


def _rec(method, function, seed, best, optimum=0.0):
    return {"method": method, "function": function, "seed": seed, "optimum": optimum, "best": list(best),
            "error": "", "label": method, "suggest_seconds": 0.001, "elapsed": [0.0] * len(best),
            "note": "", "n_trials": len(best), "total_overhead": 0.0, "capped_at": None}


def test_rank_table_at_a_budget_ranks_the_best_value_after_k_evaluations():
    records = [_rec("a", "f", 0, [1.0, 1.0, 0.1]), _rec("b", "f", 0, [0.5, 0.5, 0.5])]
    assert compare.rank_table(records, 1) == {("f", "a"): 2.0, ("f", "b"): 1.0}
    assert compare.rank_table(records) == compare.rank_table(records, 3) == {("f", "a"): 1.0, ("f", "b"): 2.0}


def test_summary_gives_ranks_after_each_budget_and_lists_problems_where_a_peer_leads():
    # hpcore:bayes leads early on branin and is overtaken; the peer leads booth by 2 in log10 regret.
    records = []
    for seed in range(2):
        records += [_rec("hpcore:bayes", "branin", seed, [1e-2, 1e-2, 1e-2], 0.397887),
                    _rec("optuna", "branin", seed, [1.0, 1.0, 1e-4], 0.397887),
                    _rec("hpcore:bayes", "booth", seed, [1e-1] * 3), _rec("optuna", "booth", seed, [1e-3] * 3)]
    for r in records:  # values, not regrets, are stored
        r["best"] = [b + r["optimum"] for b in r["best"]]
    text = compare.summarize(records, ["hpcore:bayes", "optuna"], ["branin", "booth"], report_at=[1])
    ranks = text[text.index("### mean rank after each budget"):]
    row = next(line for line in ranks.splitlines() if line.startswith("| hpcore bayes |"))
    # @1: bayes first on branin, second on booth: 1.5; @3: second on both: 2
    assert row.split("|")[2].strip() == "1.5" and row.split("|")[-2].strip() == "2"
    gaps = text[text.index("### where a peer is ahead"):]
    assert "- hpcore bayes @1: booth (-1 against optuna TPE -3)" in gaps
    at3 = next(line for line in gaps.splitlines() if line.startswith("- hpcore bayes @3"))
    assert "booth" in at3 and "branin (-2 against optuna TPE -4)" in at3


def test_summarize_merges_results_files_from_a_subprocess(tmp_path):
    import subprocess
    import sys

    def write(name, method, value):
        path = tmp_path / name
        path.write_text(json.dumps({"command": f"run {name}", "methods": [method], "functions": ["booth"],
                                    "runs": [_rec(method, "booth", s, [value] * 4) for s in range(2)]}))
        return path

    a, b = write("a.json", "hpcore:bayes", 1e-3), write("b.json", "optuna", 1e-1)
    out = tmp_path / "merged"
    proc = subprocess.run([sys.executable, "-m", "hpcore.benchmarks.compare", "--summarize", f"{a},{b}",
                           "--report-at", "2", "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    summary = (out / "summary.md").read_text()
    assert "`run a.json`" in summary and "`run b.json`" in summary and "4 runs" in summary
    assert "| hpcore bayes | 1 | 1 |" in summary  # ranks after 2 and after 4 evaluations
    assert "- hpcore bayes @4: none" in summary
    proc = subprocess.run([sys.executable, "-m", "hpcore.benchmarks.compare", "--summarize", str(tmp_path / "no.json"),
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--summarize" in proc.stderr and "no.json" in proc.stderr


def test_summarize_cuts_runs_to_trials(tmp_path):
    # bayes reaches 1e-6 only at its 4th evaluation; cut to 2, the peer's 1e-3 ranks first
    runs = [_rec("hpcore:bayes", "booth", s, [1.0, 1e-1, 1e-1, 1e-6]) for s in range(2)]
    runs += [_rec("optuna", "booth", s, [1e-3, 1e-3]) for s in range(2)]
    (tmp_path / "r.json").write_text(json.dumps({"command": "c", "runs": runs}))
    summary = compare.resummarize([str(tmp_path / "r.json")], tmp_path / "out", [], trials=2).read_text()
    assert "- hpcore bayes @2: booth (-1 against optuna TPE -3)" in summary
    assert "@4" not in summary


def test_first_seed_runs_later_seeds_that_merge_with_an_earlier_command(tmp_path, capsys):
    # seeds 1..2 run alone give the same curves as seeds 1..2 of a command that ran 0..2
    common = ["--strategies", "random", "--functions", "branin", "--trials", "5", "--quiet", "--no-plots"]
    assert compare.main(common + ["--seeds", "3", "--out", str(tmp_path / "all")]) == 0
    assert compare.main(common + ["--seeds", "2", "--first-seed", "1", "--out", str(tmp_path / "late")]) == 0
    late = json.loads((tmp_path / "late" / "results.json").read_text())
    every = json.loads((tmp_path / "all" / "results.json").read_text())
    assert late["first_seed"] == 1 and sorted(r["seed"] for r in late["runs"]) == [1, 2]
    by_seed = {r["seed"]: r["best"] for r in every["runs"]}
    assert all(r["best"] == by_seed[r["seed"]] for r in late["runs"])
    assert "seeds 1..2" in (tmp_path / "late" / "summary.md").read_text()
    merged = compare.resummarize([str(tmp_path / "late" / "results.json"), str(tmp_path / "all" / "results.json")],
                                 tmp_path / "merged", []).read_text()
    assert "3 runs" in merged
    assert compare.main(common + ["--first-seed", "-1", "--out", str(tmp_path / "bad")]) == 2
    assert "--first-seed" in capsys.readouterr().err


def test_summarize_keeps_only_the_asked_seeds(tmp_path, capsys):
    # the peer ran seeds 0..1 only; kept to those, the seed-2 run of bayes (better) leaves the ranking
    runs = [_rec("hpcore:bayes", "booth", s, [1e-1] * 3) for s in range(2)] + [_rec("hpcore:bayes", "booth", 2, [1e-9] * 3)]
    runs += [_rec("optuna", "booth", s, [1e-3] * 3) for s in range(2)]
    (tmp_path / "r.json").write_text(json.dumps({"command": "c", "runs": runs}))
    summary = compare.resummarize([str(tmp_path / "r.json")], tmp_path / "out", [], seeds=range(2)).read_text()
    assert "4 runs (seeds 0..1 only)" in summary
    assert "- hpcore bayes @3: booth (-1 against optuna TPE -3)" in summary
    out = tmp_path / "cli"
    assert compare.main(["--summarize", str(tmp_path / "r.json"), "--seeds", "1", "--first-seed", "2",
                         "--out", str(out)]) == 0
    assert "1 runs (seeds 2..2 only)" in (out / "summary.md").read_text()
    assert compare.main(["--summarize", str(tmp_path / "r.json"), "--seeds", "1", "--first-seed", "5",
                         "--out", str(out)]) == 2
    assert "no runs of seeds 5..5" in capsys.readouterr().err
    assert compare.main(["--summarize", str(tmp_path / "r.json"), "--first-seed", "1", "--out", str(out)]) == 2
    assert "--first-seed needs --seeds" in capsys.readouterr().err
    assert compare.main(["--summarize", str(tmp_path / "r.json"), "--seeds", "0", "--out", str(out)]) == 2
    assert "--seeds >= 1" in capsys.readouterr().err


def test_summarize_keeps_only_the_asked_problems(tmp_path, capsys):
    # the peer ran booth only; kept to booth, hpcore's better run on matyas leaves the ranking
    runs = [_rec("hpcore:bayes", "booth", s, [1e-1] * 3) for s in range(2)]
    runs += [_rec("hpcore:bayes", "matyas", s, [1e-9] * 3) for s in range(2)]
    runs += [_rec("optuna", "booth", s, [1e-3] * 3) for s in range(2)]
    (tmp_path / "r.json").write_text(json.dumps({"command": "c", "runs": runs}))
    summary = compare.resummarize([str(tmp_path / "r.json")], tmp_path / "out", [], functions=["booth"]).read_text()
    assert "4 runs (only the 1 problem asked)" in summary
    assert "### matyas" not in summary and "### booth" in summary
    out = tmp_path / "cli"
    assert compare.main(["--summarize", str(tmp_path / "r.json"), "--functions", "matyas", "--out", str(out)]) == 0
    assert "### booth" not in (out / "summary.md").read_text()
    assert compare.main(["--summarize", str(tmp_path / "r.json"), "--functions", "branin", "--out", str(out)]) == 2
    assert "no runs of the problems asked" in capsys.readouterr().err
    assert compare.main(["--summarize", str(tmp_path / "r.json"), "--functions", "no_such_problem",
                         "--out", str(out)]) == 2
    assert "no_such_problem" in capsys.readouterr().err


def test_head_to_head_counts_wins_losses_and_ties_per_problem_and_seed():
    records = [_rec("a", "f", 0, [2.0, 1.0]), _rec("b", "f", 0, [3.0, 1.0 + 1e-12]),  # @1 a wins, @2 a tie
               _rec("a", "f", 1, [5.0, 5.0]), _rec("b", "f", 1, [4.0, 4.0]),  # b wins both
               _rec("a", "g", 0, [1.0, 0.5]), _rec("b", "g", 0, [2.0, 0.25]),  # a @1, b @2
               _rec("a", "g", 1, [1.0, 1.0])]  # b did not run: not a pair
    records.append({**_rec("b", "h", 0, [0.0, 0.0]), "error": "boom"})
    records.append(_rec("a", "h", 0, [9.0, 9.0]))  # b failed there: not a pair either
    assert compare.head_to_head(records, "a", "b", 1) == (2, 1, 0)
    assert compare.head_to_head(records, "a", "b", 2) == (0, 2, 1)
    assert compare.head_to_head(records, "b", "a", 2) == (2, 0, 1)
    assert compare.head_to_head(records, "a", "b", 1, ["g"]) == (1, 0, 0)
    assert compare.head_to_head(records, "a", "b", 5) == (0, 2, 1)  # past a run's end: its last value
    nan_run = _rec("a", "k", 0, [float("nan")])
    assert compare.head_to_head([nan_run, _rec("b", "k", 0, [3.0])], "a", "b", 1) == (0, 1, 0)
    # two exact hits of a known optimum tie, as in the ranks (regret floored at REGRET_FLOOR)
    hits = [_rec("a", "m", 0, [1.0, 1e-14], optimum=0.0), _rec("b", "m", 0, [1.0, 1e-13], optimum=0.0)]
    assert compare.head_to_head(hits, "a", "b", 2) == (0, 0, 1)
    assert compare.rank_table(hits) == {("m", "a"): 1.5, ("m", "b"): 1.5}


def test_sign_test_matches_the_binomial_tail():
    from scipy.stats import binomtest
    for wins, losses in [(78, 29), (54, 46), (21, 3), (3, 21), (5, 5)]:
        expected = binomtest(wins, wins + losses, 0.5, alternative="greater").pvalue
        assert compare.sign_test(wins, losses) == pytest.approx(expected, rel=1e-9)
    assert compare.sign_test(0, 0) == 1.0


def test_summary_gives_mean_log_regret_and_head_to_head_after_each_budget():
    records = []
    for seed in range(3):
        records += [_rec("hpcore:bayes", "branin", seed, [1e-1, 1e-3], 0.397887),
                    _rec("optuna", "branin", seed, [1e-2, 1e-2], 0.397887),
                    _rec("hpcore:random", "branin", seed, [1.0, 1.0], 0.397887),
                    _rec("hpcore:bayes", "booth", seed, [1e-1, 1e-1]), _rec("optuna", "booth", seed, [1e-3, 1e-3]),
                    _rec("hpcore:random", "booth", seed, [10.0, 10.0])]
    for r in records:
        r["best"] = [b + r["optimum"] for b in r["best"]]
    methods = ["hpcore:bayes", "optuna", "hpcore:random"]
    text = compare.summarize(records, methods, ["branin", "booth"], report_at=[1])
    means = text[text.index("### mean log10 regret over problems"):]
    row = next(line for line in means.splitlines() if line.startswith("| hpcore bayes |"))
    # columns: all @1, report half (booth) @1, all @2, report half @2
    # @1: mean of -1 (branin) and -1 (booth); @2: mean of -3 and -1
    assert [c.strip() for c in row.split("|")[2:-1]] == ["-1", "-1", "-2", "-1"]
    row = next(line for line in means.splitlines() if line.startswith("| optuna TPE |"))
    assert [c.strip() for c in row.split("|")[2:-1]] == ["-2.5", "-3", "-2.5", "-3"]
    pairs = text[text.index("### head to head"):]
    row = next(line for line in pairs.splitlines() if line.startswith("| hpcore bayes vs optuna TPE |"))
    # @1 optuna better on all 6 pairs; @2 bayes wins branin's 3 and loses booth's 3
    assert [c.strip() for c in row.split("|")[2:-1]] == ["0 : 6 (p 1)", "0 : 3 (p 1)", "3 : 3 (p 0.66)",
                                                       "0 : 3 (p 1)"]
    row = next(line for line in pairs.splitlines() if line.startswith("| hpcore bayes vs hpcore random |"))
    assert row.split("|")[-3].strip() == "6 : 0 (p 0.016)"  # all problems @2
    assert not any(line.startswith("| hpcore random vs") for line in pairs.splitlines())
