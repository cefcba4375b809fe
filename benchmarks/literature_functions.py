"""More continuous test functions from the literature, with their published optima.

Definitions, domains and optima follow the Virtual Library of Simulation Experiments
(Surjanovic & Bingham, https://www.sfu.ca/~ssurjano/) and Jamil & Yang, "A literature survey of
benchmark functions for global optimisation problems", Int. J. Math. Modelling and Numerical
Optimisation 4(2), 2013. Where a page prints a rounded minimiser (Eggholder, Shubert,
Michalewicz, cross-in-tray, De Jong 5, Schwefel), the minimiser stored here was refined
numerically to ~1e-12 and the stored optimum is the function's value there; the tests check
it against the printed value to the printed precision.

Every factory returns a :class:`~hpcore.benchmarks.functions.TestFunction`; they are registered
in :data:`hpcore.benchmarks.functions.FUNCTIONS`, so :func:`~hpcore.benchmarks.functions.get_function`
finds them by name (``"booth"``, ``"zakharov10"``, ``"powell8"``...). The shape of each function
(bowl, plate, valley, steep, multimodal) is recorded in :mod:`hpcore.benchmarks.suite`.

Notation: ``x`` is a point of shape ``(d,)``, ``x1, x2`` the coordinates of a 2-d point.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from hpcore.benchmarks.functions import VLSE, TestFunction, _check_dims

__all__ = ["LITERATURE_FUNCTIONS", "LITERATURE_FIXED_DIMS"]

JAMIL_YANG = "Jamil, M. & Yang, X.-S., Int. J. Math. Modelling Num. Optimisation 4(2), 150-194 (2013)"


# --------------------------------------------------------------------------- 2-d functions

def booth() -> TestFunction:
    """Booth (plate), 2-d on [-10, 10]^2; minimum 0 at (1, 3)."""
    return TestFunction(
        "booth", 2, ((-10.0, 10.0),) * 2, 0.0, ((1.0, 3.0),), f"{JAMIL_YANG}; {VLSE}",
        lambda x: float((x[0] + 2 * x[1] - 7) ** 2 + (2 * x[0] + x[1] - 5) ** 2),
    )


def matyas() -> TestFunction:
    """Matyas (plate), 2-d on [-10, 10]^2; minimum 0 at the origin."""
    return TestFunction(
        "matyas", 2, ((-10.0, 10.0),) * 2, 0.0, ((0.0, 0.0),), f"{JAMIL_YANG}; {VLSE}",
        lambda x: float(0.26 * (x[0] ** 2 + x[1] ** 2) - 0.48 * x[0] * x[1]),
    )


def mccormick() -> TestFunction:
    """McCormick (plate) on [-1.5, 4] x [-3, 4]; minimum -1.9133 at (-0.54719, -1.54719).

    Exactly: the gradient vanishes where cos(x1 + x2) = -1/2 and x1 - x2 = 1, so the
    minimiser is (1/2 - pi/3, -1/2 - pi/3) and the minimum -sqrt(3)/2 - pi/3.
    """
    return TestFunction(
        "mccormick", 2, ((-1.5, 4.0), (-3.0, 4.0)), -math.sqrt(3) / 2 - math.pi / 3,
        ((0.5 - math.pi / 3, -0.5 - math.pi / 3),), f"McCormick (1976); {JAMIL_YANG}; {VLSE}",
        lambda x: float(math.sin(x[0] + x[1]) + (x[0] - x[1]) ** 2 - 1.5 * x[0] + 2.5 * x[1] + 1),
    )


def three_hump_camel() -> TestFunction:
    """Three-hump camel (valley), 2-d on [-5, 5]^2; minimum 0 at the origin."""
    return TestFunction(
        "three_hump_camel", 2, ((-5.0, 5.0),) * 2, 0.0, ((0.0, 0.0),), f"{JAMIL_YANG}; {VLSE}",
        lambda x: float(2 * x[0] ** 2 - 1.05 * x[0] ** 4 + x[0] ** 6 / 6 + x[0] * x[1] + x[1] ** 2),
    )


def beale() -> TestFunction:
    """Beale, 2-d on [-4.5, 4.5]^2; minimum 0 at (3, 0.5), in a flat curved valley."""
    def fn(x: np.ndarray) -> float:
        x1, x2 = x
        return float((1.5 - x1 + x1 * x2) ** 2 + (2.25 - x1 + x1 * x2**2) ** 2 + (2.625 - x1 + x1 * x2**3) ** 2)

    return TestFunction("beale", 2, ((-4.5, 4.5),) * 2, 0.0, ((3.0, 0.5),), f"Beale (1958); {JAMIL_YANG}; {VLSE}", fn)


def goldstein_price() -> TestFunction:
    """Goldstein-Price, 2-d on [-2, 2]^2; minimum 3 at (0, -1); values span 3 to 1e6."""
    def fn(x: np.ndarray) -> float:
        x1, x2 = x
        a = 1 + (x1 + x2 + 1) ** 2 * (19 - 14 * x1 + 3 * x1**2 - 14 * x2 + 6 * x1 * x2 + 3 * x2**2)
        b = 30 + (2 * x1 - 3 * x2) ** 2 * (18 - 32 * x1 + 12 * x1**2 + 48 * x2 - 36 * x1 * x2 + 27 * x2**2)
        return float(a * b)

    return TestFunction("goldstein_price", 2, ((-2.0, 2.0),) * 2, 3.0, ((0.0, -1.0),),
                        f"Goldstein & Price (1971); {JAMIL_YANG}; {VLSE}", fn)


def bohachevsky() -> TestFunction:
    """Bohachevsky 1 (bowl with ripples), 2-d on [-100, 100]^2; minimum 0 at the origin."""
    return TestFunction(
        "bohachevsky", 2, ((-100.0, 100.0),) * 2, 0.0, ((0.0, 0.0),), f"Bohachevsky et al. (1986); {VLSE}",
        lambda x: float(x[0] ** 2 + 2 * x[1] ** 2 - 0.3 * math.cos(3 * math.pi * x[0])
                        - 0.4 * math.cos(4 * math.pi * x[1]) + 0.7),
    )


def bukin6() -> TestFunction:
    """Bukin 6, 2-d on [-15, -5] x [-3, 3]; minimum 0 at (-10, 1), on a steep curved ridge."""
    return TestFunction(
        "bukin6", 2, ((-15.0, -5.0), (-3.0, 3.0)), 0.0, ((-10.0, 1.0),), f"{JAMIL_YANG}; {VLSE}",
        lambda x: float(100 * math.sqrt(abs(x[1] - 0.01 * x[0] ** 2)) + 0.01 * abs(x[0] + 10)),
    )


def drop_wave() -> TestFunction:
    """Drop-wave, 2-d on [-5.12, 5.12]^2; minimum -1 at the origin, inside rings of local minima."""
    def fn(x: np.ndarray) -> float:
        r2 = float(x[0] ** 2 + x[1] ** 2)
        return -(1 + math.cos(12 * math.sqrt(r2))) / (0.5 * r2 + 2)

    return TestFunction("drop_wave", 2, ((-5.12, 5.12),) * 2, -1.0, ((0.0, 0.0),), f"{VLSE}", fn)


_EGGHOLDER_X2 = 404.2318049938646


def _eggholder(x: np.ndarray) -> float:
    x1, x2 = x
    return float(-(x2 + 47) * math.sin(math.sqrt(abs(x2 + x1 / 2 + 47)))
                 - x1 * math.sin(math.sqrt(abs(x1 - (x2 + 47)))))


def eggholder() -> TestFunction:
    """Eggholder, 2-d on [-512, 512]^2; minimum -959.6407 at (512, 404.2319), on the boundary."""
    return TestFunction("eggholder", 2, ((-512.0, 512.0),) * 2, _eggholder(np.array([512.0, _EGGHOLDER_X2])),
                        ((512.0, _EGGHOLDER_X2),), f"{JAMIL_YANG}; {VLSE}", _eggholder)


# g(t) = sum_j j cos((j+1) t + j) is 2 pi-periodic; f = g(x1) g(x2) is least where one
# coordinate is at a minimum of g (-12.8709) and the other at a maximum (14.5080).
_SHUBERT_ARGMIN = -7.708313746019706
_SHUBERT_ARGMAX = -7.083506403182753


def _shubert_1d(t: float) -> float:
    return sum(j * math.cos((j + 1) * t + j) for j in range(1, 6))


def shubert() -> TestFunction:
    """Shubert, 2-d on [-10, 10]^2; minimum -186.7309 at 18 points (3 x 3 periods x 2 orders)."""
    lows = [_SHUBERT_ARGMIN + 2 * math.pi * k for k in range(3)]
    highs = [_SHUBERT_ARGMAX + 2 * math.pi * k for k in range(3)]
    points = tuple((a, b) for a in lows for b in highs) + tuple((b, a) for a in lows for b in highs)
    optimum = _shubert_1d(_SHUBERT_ARGMIN) * _shubert_1d(_SHUBERT_ARGMAX)
    return TestFunction("shubert", 2, ((-10.0, 10.0),) * 2, optimum, points, f"{JAMIL_YANG}; {VLSE}",
                        lambda x: _shubert_1d(float(x[0])) * _shubert_1d(float(x[1])))


_CROSS_IN_TRAY_ARGMIN = 1.3494066162419731


def _cross_in_tray(x: np.ndarray) -> float:
    x1, x2 = x
    bump = abs(math.sin(x1) * math.sin(x2) * math.exp(abs(100 - math.sqrt(x1 * x1 + x2 * x2) / math.pi)))
    return -0.0001 * (bump + 1) ** 0.1


def cross_in_tray() -> TestFunction:
    """Cross-in-tray, 2-d on [-10, 10]^2; minimum -2.06261 at (+-1.34941, +-1.34941)."""
    a = _CROSS_IN_TRAY_ARGMIN
    points = ((a, a), (a, -a), (-a, a), (-a, -a))
    return TestFunction("cross_in_tray", 2, ((-10.0, 10.0),) * 2, _cross_in_tray(np.array([a, a])), points,
                        f"{JAMIL_YANG}; {VLSE}", _cross_in_tray)


_DE_JONG5_CENTRES = np.array([-32.0, -16.0, 0.0, 16.0, 32.0])
_DE_JONG5_A1 = np.tile(_DE_JONG5_CENTRES, 5)
_DE_JONG5_A2 = np.repeat(_DE_JONG5_CENTRES, 5)
_DE_JONG5_ARGMIN = -31.978334133693995  # on the diagonal: the foxholes are symmetric in x1 <-> x2


def _de_jong5(x: np.ndarray) -> float:
    holes = np.arange(1, 26) + (x[0] - _DE_JONG5_A1) ** 6 + (x[1] - _DE_JONG5_A2) ** 6
    return float(1 / (0.002 + np.sum(1 / holes)))


def de_jong5() -> TestFunction:
    """De Jong 5 (Shekel's foxholes), 2-d on [-65.536, 65.536]^2; minimum 0.998004 near (-32, -32):
    a flat plateau with 25 steep holes."""
    a = _DE_JONG5_ARGMIN
    return TestFunction("de_jong5", 2, ((-65.536, 65.536),) * 2, _de_jong5(np.array([a, a])), ((a, a),),
                        f"De Jong (1975); {JAMIL_YANG}; {VLSE}", _de_jong5)


def levy_n13() -> TestFunction:
    """Levy N. 13, 2-d on [-10, 10]^2; minimum 0 at (1, 1)."""
    def fn(x: np.ndarray) -> float:
        x1, x2 = x
        return float(math.sin(3 * math.pi * x1) ** 2 + (x1 - 1) ** 2 * (1 + math.sin(3 * math.pi * x2) ** 2)
                     + (x2 - 1) ** 2 * (1 + math.sin(2 * math.pi * x2) ** 2))

    return TestFunction("levy_n13", 2, ((-10.0, 10.0),) * 2, 0.0, ((1.0, 1.0),), f"{JAMIL_YANG}; {VLSE}", fn)


# --------------------------------------------------------------------------- any-dimension functions

def sphere(dims: int = 2) -> TestFunction:
    """Sphere (bowl) on [-5.12, 5.12]^d; minimum 0 at the origin."""
    d = _check_dims("sphere", dims)
    return TestFunction(f"sphere{d}", d, ((-5.12, 5.12),) * d, 0.0, ((0.0,) * d,), f"{JAMIL_YANG}; {VLSE}",
                        lambda x: float(np.sum(x**2)))


def sum_squares(dims: int = 2) -> TestFunction:
    """Sum of squares, sum_i i x_i^2 (a badly scaled bowl), on [-10, 10]^d; minimum 0 at the origin."""
    d = _check_dims("sum_squares", dims)
    weights = np.arange(1, d + 1)
    return TestFunction(f"sum_squares{d}", d, ((-10.0, 10.0),) * d, 0.0, ((0.0,) * d,), f"{JAMIL_YANG}; {VLSE}",
                        lambda x: float(weights @ x**2))


def rotated_hyper_ellipsoid(dims: int = 2) -> TestFunction:
    """Rotated hyper-ellipsoid, sum_i sum_{j<=i} x_j^2, on [-65.536, 65.536]^d; minimum 0 at the origin."""
    d = _check_dims("rotated_hyper_ellipsoid", dims)
    return TestFunction(f"rotated_hyper_ellipsoid{d}", d, ((-65.536, 65.536),) * d, 0.0, ((0.0,) * d,),
                        f"{VLSE}", lambda x: float(np.sum(np.cumsum(x**2))))


def _zakharov(x: np.ndarray) -> float:
    s = float(0.5 * np.arange(1, x.size + 1) @ x)
    return float(np.sum(x**2)) + s**2 + s**4


def zakharov(dims: int = 2) -> TestFunction:
    """Zakharov (plate) on [-5, 10]^d; minimum 0 at the origin."""
    d = _check_dims("zakharov", dims)
    return TestFunction(f"zakharov{d}", d, ((-5.0, 10.0),) * d, 0.0, ((0.0,) * d,), f"{JAMIL_YANG}; {VLSE}",
                        _zakharov)


def _dixon_price(x: np.ndarray) -> float:
    i = np.arange(2, x.size + 1)
    return float((x[0] - 1) ** 2 + np.sum(i * (2 * x[1:] ** 2 - x[:-1]) ** 2))


def dixon_price(dims: int = 2) -> TestFunction:
    """Dixon-Price (valley) on [-10, 10]^d (d >= 2); minimum 0 at x_i = 2^(-(2^i - 2) / 2^i)."""
    d = _check_dims("dixon_price", dims, 2)
    point = tuple(2.0 ** (-(2.0**i - 2) / 2.0**i) for i in range(1, d + 1))
    return TestFunction(f"dixon_price{d}", d, ((-10.0, 10.0),) * d, 0.0, (point,),
                        f"Dixon & Price (1989); {JAMIL_YANG}; {VLSE}", _dixon_price)


def trid(dims: int = 2) -> TestFunction:
    """Trid (bowl) on [-d^2, d^2]^d (d >= 2); minimum -d (d + 4) (d - 1) / 6 at x_i = i (d + 1 - i)."""
    d = _check_dims("trid", dims, 2)
    point = tuple(float(i * (d + 1 - i)) for i in range(1, d + 1))
    return TestFunction(f"trid{d}", d, ((-float(d * d), float(d * d)),) * d, -d * (d + 4) * (d - 1) / 6, (point,),
                        f"{JAMIL_YANG}; {VLSE}",
                        lambda x: float(np.sum((x - 1) ** 2) - np.sum(x[1:] * x[:-1])))


def _powell(x: np.ndarray) -> float:
    a, b, c, e = x[0::4], x[1::4], x[2::4], x[3::4]
    return float(np.sum((a + 10 * b) ** 2 + 5 * (c - e) ** 2 + (b - 2 * c) ** 4 + 10 * (a - e) ** 4))


def powell(dims: int = 4) -> TestFunction:
    """Powell singular function on [-4, 5]^d (d a multiple of 4); minimum 0 at the origin,
    where the Hessian is singular (a quartic valley)."""
    d = _check_dims("powell", dims, 4)
    if d % 4:
        raise ValueError(f"powell needs a dimension that is a multiple of 4, got {dims!r}")
    return TestFunction(f"powell{d}", d, ((-4.0, 5.0),) * d, 0.0, ((0.0,) * d,),
                        f"Powell (1962); {JAMIL_YANG}; {VLSE}", _powell)


_PERM_BETA = 0.5


def perm(dims: int = 2) -> TestFunction:
    """Perm d, beta (beta = 0.5) on [-d, d]^d; minimum 0 at (1, 2, ..., d); values span many
    orders of magnitude (a badly scaled polynomial valley).

    ``f = sum_i (sum_j (j^i + beta) ((x_j / j)^i - 1))^2`` for i, j = 1..d.
    """
    d = _check_dims("perm", dims)
    j = np.arange(1, d + 1, dtype=float)
    powers = j[:, None]  # i down the rows

    def fn(x: np.ndarray) -> float:
        inner = ((j[None, :] ** powers + _PERM_BETA) * ((x / j)[None, :] ** powers - 1)).sum(axis=1)
        return float(np.sum(inner**2))

    return TestFunction(f"perm{d}", d, ((-float(d), float(d)),) * d, 0.0, (tuple(j),), f"{VLSE}", fn)


_SCHWEFEL_CONSTANT = 418.9829
_SCHWEFEL_ARGMIN = 420.9687436961694


def _schwefel(x: np.ndarray) -> float:
    return float(_SCHWEFEL_CONSTANT * x.size - np.sum(x * np.sin(np.sqrt(np.abs(x)))))


def schwefel(dims: int = 2) -> TestFunction:
    """Schwefel on [-500, 500]^d; minimum ~0 at x_i = 420.9687, far from the next-best basins.

    The published constant 418.9829 is rounded, so the exact minimum is 1.27e-5 d, not 0.
    """
    d = _check_dims("schwefel", dims)
    point = np.full(d, _SCHWEFEL_ARGMIN)
    return TestFunction(f"schwefel{d}", d, ((-500.0, 500.0),) * d, _schwefel(point), (tuple(point),),
                        f"Schwefel (1981); {JAMIL_YANG}; {VLSE}", _schwefel)


# Minimiser of the i-th term -sin(t) sin(i t^2 / pi)^20 on [0, pi] (m = 10), i = 1..20: the
# function is separable, so these, refined numerically, give the minimum in any dimension.
_MICHALEWICZ_ARGMIN = (
    2.2029055201701313, math.pi / 2, 1.2849915705514356, 1.9230584698653455, 1.7204697725640747,
    math.pi / 2, 1.4544139713592001, 1.7560865209419296, 1.6557174168176345, math.pi / 2,
    1.4977288035531058, 1.6966163007940396, 1.6300760803933223, math.pi / 2, 1.5175461146651008,
    1.6660645117229969, 1.6163286404338026, math.pi / 2, 1.528907002352136, 1.6474563576712438,
)


def _michalewicz(x: np.ndarray) -> float:
    i = np.arange(1, x.size + 1)
    return float(-np.sum(np.sin(x) * np.sin(i * x**2 / math.pi) ** 20))


def michalewicz(dims: int = 2) -> TestFunction:
    """Michalewicz (m = 10, steep ridges) on [0, pi]^d, d <= 20; minimum -1.8013 (d = 2),
    -4.687658 (d = 5), -9.66015 (d = 10)."""
    d = _check_dims("michalewicz", dims)
    if d > len(_MICHALEWICZ_ARGMIN):
        raise ValueError(f"michalewicz is tabulated up to {len(_MICHALEWICZ_ARGMIN)} dimensions, got {dims!r}")
    point = np.array(_MICHALEWICZ_ARGMIN[:d])
    return TestFunction(f"michalewicz{d}", d, ((0.0, math.pi),) * d, _michalewicz(point), (tuple(point),),
                        f"Michalewicz (1996); {VLSE}", _michalewicz)


# --------------------------------------------------------------------------- registry

#: name -> factory (fixed-dimension ones take no argument, the others ``dims``).
LITERATURE_FUNCTIONS: dict[str, Callable[..., TestFunction]] = {
    "booth": booth, "matyas": matyas, "mccormick": mccormick, "three_hump_camel": three_hump_camel,
    "beale": beale, "goldstein_price": goldstein_price, "bohachevsky": bohachevsky, "bukin6": bukin6,
    "drop_wave": drop_wave, "eggholder": eggholder, "shubert": shubert, "cross_in_tray": cross_in_tray,
    "de_jong5": de_jong5, "levy_n13": levy_n13,
    "sphere": sphere, "sum_squares": sum_squares, "rotated_hyper_ellipsoid": rotated_hyper_ellipsoid,
    "zakharov": zakharov, "dixon_price": dixon_price, "trid": trid, "powell": powell, "perm": perm,
    "schwefel": schwefel, "michalewicz": michalewicz,
}
#: Names of the fixed-dimension functions and their dimension.
LITERATURE_FIXED_DIMS = {
    name: 2 for name in ("booth", "matyas", "mccormick", "three_hump_camel", "beale", "goldstein_price",
                         "bohachevsky", "bukin6", "drop_wave", "eggholder", "shubert", "cross_in_tray",
                         "de_jong5", "levy_n13")
}
