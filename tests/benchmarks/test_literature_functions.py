"""The literature test functions (benchmarks/literature_functions.py) against their published optima."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hpcore.benchmarks.functions import FUNCTIONS, get_function
from hpcore.benchmarks.literature_functions import LITERATURE_FUNCTIONS
from scipy.optimize import minimize

# name -> (published minimum, its printed precision), from the VLSE pages and Jamil & Yang (2013).
PUBLISHED = {
    "booth": (0.0, 0.0), "matyas": (0.0, 0.0), "mccormick": (-1.9133, 1e-4), "three_hump_camel": (0.0, 0.0),
    "beale": (0.0, 0.0), "goldstein_price": (3.0, 0.0), "bohachevsky": (0.0, 0.0), "bukin6": (0.0, 0.0),
    "drop_wave": (-1.0, 0.0), "eggholder": (-959.6407, 1e-4), "shubert": (-186.7309, 1e-4),
    "cross_in_tray": (-2.06261, 1e-5), "de_jong5": (0.998004, 1e-6), "levy_n13": (0.0, 0.0),
    "sphere20": (0.0, 0.0), "sum_squares20": (0.0, 0.0), "rotated_hyper_ellipsoid8": (0.0, 0.0),
    "zakharov6": (0.0, 0.0), "zakharov10": (0.0, 0.0), "dixon_price10": (0.0, 1e-30), "trid6": (-50.0, 0.0),
    "trid10": (-210.0, 0.0), "powell8": (0.0, 0.0), "perm4": (0.0, 0.0),
    "schwefel6": (0.0, 6 * 1.3e-5),  # the published constant 418.9829 is rounded: 1.27e-5 per dimension
    "michalewicz2": (-1.8013, 1e-4), "michalewicz5": (-4.687658, 1e-6), "michalewicz10": (-9.66015, 1e-5),
}
# Published minimisers as printed (rounded), for the functions whose stored one was refined.
PUBLISHED_MINIMISER = {
    "mccormick": ((-0.54719, -1.54719), 1e-5), "eggholder": ((512.0, 404.2319), 1e-4),
    "cross_in_tray": ((1.3491, 1.3491), 1e-3), "de_jong5": ((-32.0, -32.0), 0.05),
    "michalewicz2": ((2.20, 1.57), 5e-3), "schwefel6": ((420.9687,) * 6, 1e-4),
}


def test_every_literature_function_is_in_the_registry_and_checked() -> None:
    assert set(LITERATURE_FUNCTIONS) <= set(FUNCTIONS)
    checked = {get_function(name).name for name in PUBLISHED}
    for factory in LITERATURE_FUNCTIONS:
        assert any(n == factory or re.fullmatch(rf"{factory}\d+", n) for n in checked), factory


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_value_at_the_minimiser_is_the_published_optimum(name: str) -> None:
    f = get_function(name)
    published, tolerance = PUBLISHED[name]
    assert abs(f.optimum_value - published) <= tolerance + 1e-12
    for point in f.optimizers:
        point = np.asarray(point)
        assert point.shape == (f.dims,) and np.all(f.lower <= point) and np.all(point <= f.upper)
        assert math.isclose(f(point), f.optimum_value, rel_tol=1e-9, abs_tol=1e-12), point
    if name in PUBLISHED_MINIMISER:
        printed, tol = PUBLISHED_MINIMISER[name]
        assert np.allclose(f.optimizers[0], printed, atol=tol)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_a_dense_random_sample_never_beats_the_optimum(name: str) -> None:
    f = get_function(name)
    n = 40_000 if f.dims <= 2 else 4_000
    points = np.random.default_rng(20130101).uniform(f.lower, f.upper, size=(n, f.dims))
    values = np.array([f(p) for p in points])
    assert np.all(np.isfinite(values))
    assert values.min() >= f.optimum_value - 1e-9


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_the_minimiser_is_a_local_minimum(name: str) -> None:
    f = get_function(name)
    for point in f.optimizers[:4]:
        # Nelder-Mead: Bukin-6's, drop-wave's and Schwefel's minima are kinks, where L-BFGS-B's
        # finite differences mislead; a simplex started there may not find lower ground.
        start = np.asarray(point)
        bounded = lambda x: f(np.clip(x, f.lower, f.upper))  # noqa: E731
        result = minimize(bounded, start, method="Nelder-Mead",
                          options={"initial_simplex": start + np.vstack([np.zeros(f.dims), 1e-3 * np.eye(f.dims)])
                                   * (f.upper - f.lower), "maxfev": 400 * f.dims})
        assert result.fun >= f.optimum_value - 1e-9 * max(1.0, abs(f.optimum_value))


def test_shubert_has_eighteen_minimisers() -> None:
    f = get_function("shubert")
    assert len(f.optimizers) == len(set(f.optimizers)) == 18


def test_dimension_rules() -> None:
    assert get_function("powell").dims == 4  # Powell's smallest dimension is its default
    assert get_function("sphere").dims == 2 and get_function("zakharov7").dims == 7
    assert get_function("levy13").name == "levy13" and get_function("levy13").dims == 13  # Levy, not Levy N. 13
    assert get_function("levy_n13").dims == 2
    with pytest.raises(ValueError, match="multiple of 4"):
        get_function("powell6")
    with pytest.raises(ValueError, match="up to 20"):
        get_function("michalewicz21")
    with pytest.raises(ValueError, match="only defined in 2"):
        get_function("booth3")
    with pytest.raises(ValueError, match=">= 2"):
        get_function("trid1")
