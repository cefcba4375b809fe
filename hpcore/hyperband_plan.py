"""Hyperband bracket plan: which configurations run at which budget.

Pure arithmetic, no dependency on the rest of hpcore, so the plan can be
computed, printed and tested before anything is trained.

Hyperband (Li, Jamieson, DeSalvo, Rostamizadeh & Talwalkar, "Hyperband: A
Novel Bandit-Based Approach to Hyperparameter Optimization", JMLR 18(185),
2018) with minimum budget ``r``, maximum budget ``R`` and reduction factor
``eta`` runs the brackets ``s = s_max, ..., 0`` where ``s_max`` is the largest
integer with ``r * eta**s_max <= R``.  Bracket ``s`` starts
``n = ceil((s_max + 1) / (s + 1) * eta**s)`` configurations; its rung ``i``
(``i = 0..s``) keeps ``floor(n / eta**i)`` of them and trains each at budget
``R * eta**(i - s)``.  The last rung of every bracket is at ``R``.

Everything is computed with integers and :class:`fractions.Fraction`, never
with a floating-point logarithm (``math.log(243, 3)`` is ``4.999...`` and would
silently drop a bracket).  Float budgets are read as the decimal the user
wrote (``0.1`` means one tenth, not ``0.1000000000000000055...``), so
``r=0.1, R=1.0, eta=10`` has two brackets, as intended.

Budget types: if both bounds are ``int`` (e.g. epochs) every budget is an
``int``, rounded half-up from the exact value; otherwise budgets are
``float``.  Rounding never exceeds ``max_budget`` nor goes below
``min_budget``, and cannot merge two rungs: consecutive exact budgets ``x``
and ``eta*x`` with ``x >= r >= 1`` differ by at least 1, so their half-up
roundings differ by at least 1.  A duplicate rung would therefore be a bug;
:func:`_check_rung_budgets` raises a ``ValueError`` rather than returning a
plan with repeated budgets.
"""

from __future__ import annotations

import itertools
import math
import numbers
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["Bracket", "Rung", "format_plan", "hyperband_plan", "plan_n_trials", "plan_total_budget"]

Budget = int | float


@dataclass(frozen=True)
class Rung:
    """One rung of a bracket: ``n_configs`` configurations, each trained to ``budget``.

    ``budget`` is cumulative (e.g. "train up to epoch 27"), in the user's unit.
    """

    budget: Budget
    n_configs: int


@dataclass(frozen=True)
class Bracket:
    """A successive-halving bracket.

    ``s`` is the Hyperband bracket index (``s_max`` is the most exploratory
    bracket, ``0`` runs every configuration at ``max_budget``); ``rungs`` are
    ordered by increasing budget, ``len(rungs) == s + 1``.
    """

    s: int
    rungs: tuple[Rung, ...]

    @property
    def n_configs(self) -> int:
        """Number of configurations sampled for this bracket (first rung)."""
        return self.rungs[0].n_configs

    @property
    def n_trials(self) -> int:
        """Number of evaluations (trials) in the bracket: one per configuration per rung,
        ``sum(n_i)``; this is what ``n_trials`` counts."""
        return sum(rung.n_configs for rung in self.rungs)

    def total_budget(self, continued: bool = False) -> Budget:
        """Total budget consumed by the bracket.

        ``continued=False``: every rung trains from scratch, so the cost is
        ``sum(n_i * budget_i)``.  ``continued=True``: a promoted configuration
        resumes from its checkpoint and only trains the difference
        ``budget_i - budget_{i-1}``.
        """
        total: Budget = 0
        previous: Budget = 0
        for rung in self.rungs:
            total += rung.n_configs * (rung.budget - previous if continued else rung.budget)
            previous = rung.budget
        return total


def _as_exact(value: object, name: str) -> tuple[Fraction, bool]:
    """Return ``(exact value, is_integer_typed)`` for a budget argument, validating it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number (int or float), got {type(value).__name__}: {value!r}")
    if isinstance(value, numbers.Integral):
        return Fraction(int(value)), True
    as_float = float(value)
    if not math.isfinite(as_float):
        raise ValueError(f"{name} must be finite, got {value!r}")
    # repr() is the shortest decimal that round-trips: the number the user meant.
    return Fraction(repr(as_float)), False


def _as_eta(eta: object) -> int:
    """Validate ``eta``: an integer (or integral float such as 3.0) of at least 2."""
    if isinstance(eta, bool) or not isinstance(eta, numbers.Real):
        raise TypeError(f"eta must be an integer >= 2, got {type(eta).__name__}: {eta!r}")
    if not isinstance(eta, numbers.Integral):
        as_float = float(eta)
        if not (math.isfinite(as_float) and as_float.is_integer()):
            raise ValueError(f"eta must be an integer >= 2, got {eta!r}")
        eta = int(as_float)
    eta = int(eta)
    if eta < 2:
        raise ValueError(f"eta must be an integer >= 2, got {eta}")
    return eta


def _max_bracket(r: Fraction, R: Fraction, eta: int) -> int:
    """Largest ``s`` with ``r * eta**s <= R`` (exact, by repeated multiplication)."""
    s, budget = 0, r * eta
    while budget <= R:
        s += 1
        budget *= eta
    return s


def _round_half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def _check_rung_budgets(budgets: list[Budget], min_budget: Budget, max_budget: Budget) -> None:
    """Raise ``ValueError`` unless ``budgets`` strictly increase within ``[min_budget, max_budget]``."""
    for low, high in itertools.pairwise(budgets):
        if not low < high:
            raise ValueError(
                f"rounding the rung budgets gave a repeated budget {high} (rungs {budgets}); "
                "use a smaller eta or a larger max_budget"
            )
    if budgets and (budgets[0] < min_budget or budgets[-1] > max_budget):
        raise ValueError(f"rung budgets {budgets} fall outside [{min_budget}, {max_budget}]")


def hyperband_plan(min_budget: Budget, max_budget: Budget, eta: int = 3) -> tuple[Bracket, ...]:
    """Compute the Hyperband brackets, most exploratory first (``s = s_max .. 0``).

    Args:
        min_budget: smallest budget a configuration may be trained with (``r``), > 0.
        max_budget: full budget (``R``), >= ``min_budget``.
        eta: reduction factor, an integer >= 2; each rung keeps ``1/eta`` of the
            configurations and multiplies the budget by ``eta``.

    Returns:
        ``s_max + 1`` brackets.  Budgets are ``int`` if both bounds are ``int``,
        else ``float``.

    Raises:
        TypeError: a budget or ``eta`` is not a real number.
        ValueError: ``min_budget <= 0``, ``max_budget < min_budget``, a
            non-finite budget, or ``eta`` not an integer >= 2.
    """
    r, r_is_int = _as_exact(min_budget, "min_budget")
    R, R_is_int = _as_exact(max_budget, "max_budget")
    eta = _as_eta(eta)
    if r <= 0:
        raise ValueError(f"min_budget must be > 0, got {min_budget!r}")
    if R < r:
        raise ValueError(f"max_budget ({max_budget!r}) must be >= min_budget ({min_budget!r})")
    integer_budgets = r_is_int and R_is_int

    def to_budget(exact: Fraction) -> Budget:
        if integer_budgets:
            return min(_round_half_up(exact), int(max_budget))
        return min(float(exact), float(max_budget))

    s_max = _max_bracket(r, R, eta)
    brackets = []
    for s in range(s_max, -1, -1):
        n = -(-(s_max + 1) * eta**s // (s + 1))  # exact ceil((s_max+1)/(s+1) * eta^s)
        budgets = [to_budget(R / eta ** (s - i)) for i in range(s + 1)]
        _check_rung_budgets(budgets, min_budget, max_budget)
        rungs = tuple(Rung(budget=b, n_configs=n // eta**i) for i, b in enumerate(budgets))
        brackets.append(Bracket(s=s, rungs=rungs))
    return tuple(brackets)


def plan_total_budget(brackets: tuple[Bracket, ...], continued: bool = False) -> Budget:
    """Sum of :meth:`Bracket.total_budget` over a plan (one full Hyperband iteration)."""
    return sum((b.total_budget(continued) for b in brackets), 0)


def plan_n_trials(brackets: tuple[Bracket, ...]) -> int:
    """Number of trials of one full Hyperband iteration (sum of :attr:`Bracket.n_trials`).

    For ``R = 81, eta = 3`` this is 206 (Li et al. 2018, Table 1), for ``R = 243`` 611.
    """
    return sum(b.n_trials for b in brackets)


def _fmt(value: Budget) -> str:
    return str(value) if isinstance(value, int) else f"{value:.6g}"


def format_plan(brackets: tuple[Bracket, ...]) -> str:
    """Render a plan as a plain-text table, one line per rung, for showing before a run.

    Columns: bracket index ``s``, rung ``i``, number of configurations,
    budget per configuration, and the rung's total budget (from scratch).
    Each bracket is followed by its total (from scratch and with
    continuation); the last line is the total of one Hyperband iteration, including its
    number of trials (evaluations: a promoted configuration is evaluated once per rung).
    """
    header = ("bracket", "rung", "configs", "budget each", "rung total")
    blocks: list[tuple[list[tuple[str, ...]], str]] = []
    for bracket in brackets:
        rows = [(str(bracket.s), str(i), str(rung.n_configs), _fmt(rung.budget),
                 _fmt(rung.n_configs * rung.budget)) for i, rung in enumerate(bracket.rungs)]
        summary = (f"bracket {bracket.s} total: {_fmt(bracket.total_budget())} "
                   f"({_fmt(bracket.total_budget(continued=True))} with continuation)")
        blocks.append((rows, summary))
    all_rows = [row for rows, _ in blocks for row in rows]
    widths = [max([len(h)] + [len(row[k]) for row in all_rows]) for k, h in enumerate(header)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(w) for c, w in zip(cells, widths))

    out = [line(header), line(tuple("-" * w for w in widths))]
    for rows, summary in blocks:
        out += [line(row) for row in rows]
        out.append(summary.rjust(sum(widths) + 2 * (len(widths) - 1)))
    n_configs = sum(b.n_configs for b in brackets)
    out.append(
        f"one iteration: {len(brackets)} bracket{'s' * (len(brackets) != 1)}, "
        f"{n_configs} configuration{'s' * (n_configs != 1)}, total budget "
        f"{_fmt(plan_total_budget(brackets))} ({_fmt(plan_total_budget(brackets, continued=True))} "
        f"with continuation), {plan_n_trials(brackets)} trials"
    )
    return "\n".join(out)
