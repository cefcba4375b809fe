"""Hyperband: successive halving over brackets, synchronous or asynchronous (ASHA), with
random or model-based (BOHB-style) sampling of new configurations.

Notation (the plan itself comes from `hpcore.hyperband_plan`)
    r, R        min_budget, max_budget; every budget is cumulative ("train up to epoch 27")
    eta         reduction factor: a rung keeps 1/eta of its configurations
    s           bracket index, s_max .. 0 (s_max the most exploratory)
    i           rung index inside a bracket, 0 .. s; rung i has n_i slots at budget b_i
    k           bracket run: (iteration, s), run in the order of the plan, iteration by iteration
    C_i         the OK (finite-value COMPLETE) trials of rung i of one bracket run, best first

Everything below is derived from the trial history; a trial created by Hyperband carries
`meta = {"iteration", "bracket": s, "rung": i}` (rung 0 also "slot": its slot 0 .. n_0-1), its
`config_id` (stable across promotions) and `previous_budget` (what the configuration already
received, None for a new one). Resuming a study is therefore replay and nothing else.

Promotion rule from rung i to rung i+1 (at most n_{i+1} promotions per bracket run):
- synchronous: only once rung i is complete (every slot finished), the best min(n_{i+1}, |C_i|);
- asynchronous (ASHA, Li et al. 2020): as soon as a configuration is among the best
  floor(|C_i| / eta) of the results so far (and, once the rung is complete, among the best
  min(n_{i+1}, |C_i|), as in the synchronous rule).
Work is handed out from the oldest unfinished bracket run, highest rung first, then new
configurations; when it has nothing to give until a pending trial finishes, the next bracket run
is started, so no worker waits for a rung to fill.

A FAILED trial drops its configuration from the rung (it is not promoted and never blocks a
promotion). An *interrupted* trial (KeyboardInterrupt during `optimize`, or left RUNNING by a
process that died) says nothing about its configuration: it is issued again, same configuration,
budget and slot, so an interrupted and resumed study runs the same trials as an uninterrupted one.
For the same reason the configuration of slot j is drawn from a stream seeded by (study seed,
iteration, s, j) rather than by the trial id: it does not depend on scheduling either.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from hpcore.hyperband_plan import Bracket, format_plan, hyperband_plan, plan_n_trials, plan_total_budget
from hpcore.space import Space
from hpcore.strategies.base import Strategy, SuggestContext, sample_untaken
from hpcore.trial import Budget, Suggestion, Trial, TrialState

__all__ = ["Hyperband"]

#: Salt of the random stream of new configurations (so it differs from other strategies' streams).
_STREAM = 0x4842
_SAMPLERS = ("random", "bayes")


def _interrupted(t: Trial) -> bool:
    return t.interrupted


def _can_sample(space: Space, taken: set[tuple] | None) -> bool:
    """Whether a new configuration can still be drawn: always on a continuous space (`taken` None),
    on a finite one while fewer configurations are taken than it has."""
    return taken is None or len(taken) < space.size


def _fmt(value: Budget) -> str:
    return str(value) if isinstance(value, int) else f"{value:.6g}"


def _meta_int(meta: Any, key: str) -> int | None:
    value = meta.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _place(meta: Any) -> tuple[tuple[int, int], int, int | None] | None:
    """((iteration, bracket), rung, slot) from a trial's meta; None for trials not made by Hyperband."""
    if "rung" not in meta:
        return None
    it, s, i = _meta_int(meta, "iteration"), _meta_int(meta, "bracket"), _meta_int(meta, "rung")
    if it is None or s is None or i is None or i < 0:
        return None
    return (it, s), i, _meta_int(meta, "slot")


@dataclass
class _Run:
    """One bracket run (iteration, bracket) as recorded in the history."""

    iteration: int
    bracket: Bracket
    rungs: list[list[Trial]]  # trials of each rung, interrupted ones left out, by id
    interrupted: dict[int, Trial] = field(default_factory=dict)  # rung-0 slot -> last interrupted trial
    slots: set[int | None] = field(default_factory=set)  # rung-0 slots taken (by trials in rungs[0])

    @property
    def meta(self) -> dict[str, int]:
        return {"iteration": self.iteration, "bracket": self.bracket.s}


@dataclass
class _State:
    """What a bracket run can hand out now, derived by `Hyperband._examine`."""

    done: bool
    promotion: tuple[Trial, int] | None  # (trial of rung i to continue, i + 1)
    free_slots: list[int]  # rung-0 slots a new configuration may take
    live: set[int]


class Hyperband(Strategy):
    """Hyperband (Li et al., JMLR 2018) for objectives `objective(params, budget)`.

    The budget is whatever the objective's second argument controls (epochs, boosting rounds, a
    fraction of the data), cumulative: a trial asked for budget 27 with `previous_budget` 9
    continues the configuration `config_id` trained to 9 (objectives that ignore this retrain).

    Args:
        min_budget: smallest budget a configuration is trained with (> 0).
        max_budget: full budget (>= min_budget). Budgets are ints when both bounds are ints.
        eta: reduction factor, an integer >= 2.
        iterations: how many times the whole set of brackets is run; then `suggest` returns None.
            `minimize`, `maximize` and `Study.optimize` without `n_trials` run all of it
            (`n_trials` trials); an `n_trials` that stops inside a bracket gives a
            `PlanCutShortWarning`. Extending a stored study needs `Study(..., allow_changes=True)`.
        asynchronous: promotion rule. None (default): synchronous Hyperband while no trial is
            pending (one worker, or ask/tell one trial at a time), asynchronous successive
            halving (ASHA) as soon as trials run in parallel. True: always ASHA. False: always
            synchronous promotions; with parallel workers a worker that would wait for a rung to
            complete starts the next bracket instead. Without pending trials, None and False
            behave identically.
        sampler: "random" (default) samples new configurations uniformly; "bayes" (BOHB-style)
            draws them from the Gaussian-process strategy fitted on the results at the largest
            budget with at least d + 2 of them (d = encoded dimensions of the space).
        random_fraction: with sampler="bayes", the share of new configurations still drawn at
            random (keeps exploring, and keeps the model honest).
    """

    name: ClassVar[str] = "hyperband"
    multi_fidelity: ClassVar[bool] = True

    def __init__(
        self,
        min_budget: Budget = 1,
        max_budget: Budget = 81,
        eta: int = 3,
        iterations: int = 1,
        *,
        asynchronous: bool | None = None,
        sampler: str = "random",
        random_fraction: float = 1 / 3,
    ) -> None:
        # Validates the budgets and eta (TypeError / ValueError).
        self._plan = hyperband_plan(min_budget, max_budget, eta)
        if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
            raise ValueError(f"iterations must be a positive integer, got {iterations!r}")
        if asynchronous is not None and not isinstance(asynchronous, bool):
            raise TypeError(f"asynchronous must be True, False or None, got {asynchronous!r}")
        if sampler not in _SAMPLERS:
            raise ValueError(f"sampler must be one of {', '.join(map(repr, _SAMPLERS))}, got {sampler!r}")
        if isinstance(random_fraction, bool) or not isinstance(random_fraction, (int, float)) \
                or not 0 <= random_fraction <= 1:
            raise ValueError(f"random_fraction must be a number in [0, 1], got {random_fraction!r}")
        self.min_budget, self.max_budget = min_budget, max_budget
        self.eta = int(eta)
        self.iterations = iterations
        self.asynchronous = asynchronous
        self.sampler = sampler
        self.random_fraction = float(random_fraction)
        self._places: dict[int, tuple[Any, Any]] = {}  # trial id -> (meta, _place(meta)): a cache
        self._model: Strategy | None = None
        self._model_space: Space | None = None
        if sampler == "bayes":
            self._model_class()  # fail now, not after the first bracket

    # -- description -----------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        return {"min_budget": self.min_budget, "max_budget": self.max_budget, "eta": self.eta,
                "iterations": self.iterations, "asynchronous": self.asynchronous,
                "sampler": self.sampler, "random_fraction": self.random_fraction}

    @property
    def brackets(self) -> tuple[Bracket, ...]:
        """The plan of one iteration, most exploratory bracket first."""
        return self._plan

    def plan(self) -> str:
        """The bracket plan as a table (rungs, configurations, budgets, totals), for printing
        before a run."""
        text = format_plan(self._plan)
        if self.iterations > 1:
            total = plan_total_budget(self._plan) * self.iterations
            cont = plan_total_budget(self._plan, continued=True) * self.iterations
            text += (f"\n{self.iterations} iterations: total budget {_fmt(total)} "
                     f"({_fmt(cont)} with continuation), {self.n_trials} trials")
        return text

    @property
    def n_trials(self) -> int:
        """Trials of the whole plan, every iteration (206 per iteration for R = 81, eta = 3).
        Fewer when configurations fail: a failed one is not promoted."""
        return plan_n_trials(self._plan) * self.iterations

    def describe(self, space: Space) -> str:
        mode = {None: "synchronous with one worker, asynchronous (ASHA) with parallel workers",
                True: "asynchronous (ASHA)", False: "synchronous"}[self.asynchronous]
        sampling = ("random" if self.sampler == "random" else
                    f"Gaussian-process model ({self.random_fraction:.0%} random)")
        return (f"Hyperband, budget {self.min_budget} to {self.max_budget} (the objective's second "
                f"argument), eta={self.eta}; promotions {mode}; new configurations {sampling}\n"
                + self.plan())

    # -- how much of the plan is left ------------------------------------------------------------
    def _left_per_run(self, space: Space, trials: Sequence[Trial]) -> list[tuple[_Run, int]]:
        """Each bracket run, in the order of the plan, with how many trials it still needs (at
        most: rungs above a failed configuration get fewer)."""
        asynchronous = self._is_asynchronous(trials)
        can_sample = _can_sample(space, self._taken(space, trials))
        out = []
        for run in self._runs(trials):
            # `done` does not depend on how results rank, so any order serves as the loss.
            if self._examine(run, lambda t: 0.0, asynchronous, can_sample).done:
                out.append((run, 0))
                continue
            slots = zip(run.bracket.rungs, run.rungs)
            out.append((run, sum(max(rung.n_configs - len(got), 0) for rung, got in slots)))
        return out

    def planned_trials(self, space: Space, trials: Sequence[Trial]) -> int:
        """Trials left in the plan, given the history (`n_trials` for a new study)."""
        return sum(left for _, left in self._left_per_run(space, trials))

    def cut_short(self, space: Space, trials: Sequence[Trial], n_trials: int) -> str | None:
        """The warning text when `n_trials` more trials stop inside a bracket (counted in the
        order of the plan, as one worker runs it); None when they run the rest of the plan or
        end exactly where a bracket ends."""
        left = [(run, n) for run, n in self._left_per_run(space, trials) if n]
        to_run = sum(n for _, n in left)
        if n_trials >= to_run:
            return None
        end = 0  # trials from now to the end of the bracket runs before `run`
        for run, n in left:
            if n_trials == end:
                return None
            if n_trials < end + n:
                where = f"bracket {run.bracket.s}" + (f" of iteration {run.iteration + 1}"
                                                     if self.iterations > 1 else "")
                ends = " or ".join(f"n_trials={k}" for k in (end, end + n) if k > 0)
                still = f" ({to_run} still to run)" if to_run != self.n_trials else ""
                return (f"n_trials={n_trials} stops Hyperband inside {where}, whose configurations then "
                        f"never reach max_budget={_fmt(self.max_budget)}: the plan has {self.n_trials} "
                        f"trials{still}. Leave n_trials out to run the whole plan, or stop where a "
                        f"bracket ends ({ends}).")
            end += n
        return None

    # -- history -----------------------------------------------------------------------------------
    def _runs(self, trials: Sequence[Trial]) -> list[_Run]:
        """The bracket runs in the order they are run, filled from the history."""
        runs = [_Run(it, b, [[] for _ in b.rungs]) for it in range(self.iterations) for b in self._plan]
        index = {(r.iteration, r.bracket.s): r for r in runs}
        places = self._places
        for t in trials:
            # Parsing the meta of every trial on every ask dominates long studies: remember it
            # while the trial keeps the same meta object (a pure acceleration).
            known = places.get(t.id)
            if known is None or known[0] is not t.meta:
                known = places[t.id] = (t.meta, _place(t.meta))
            place = known[1]
            if place is None:
                continue  # not ours (added, enqueued and not started)
            run = index.get(place[0])
            if run is None or not place[1] < len(run.rungs):
                continue  # another plan (settings changed with allow_changes=True)
            if t.state is TrialState.FAILED and _interrupted(t):
                if place[1] == 0 and place[2] is not None:
                    run.interrupted[place[2]] = t
                continue
            run.rungs[place[1]].append(t)
            if place[1] == 0:
                run.slots.add(place[2])
        return runs

    def _is_asynchronous(self, trials: Sequence[Trial]) -> bool:
        if self.asynchronous is not None:
            return self.asynchronous
        return any(t.state is TrialState.RUNNING for t in trials)

    def _examine(self, run: _Run, loss: Callable[[Trial], float], asynchronous: bool,
                 can_sample: bool, want_live: bool = False) -> _State:
        """Where a bracket run stands: finished?, the promotion to make, free rung-0 slots, and
        (with `want_live`) the configurations that may still be promoted."""
        rungs, plan = run.rungs, run.bracket.rungs
        free = [j for j in range(plan[0].n_configs) if j not in run.slots
                and (can_sample or j in run.interrupted)]
        complete = not free and all(t.state.finished for t in rungs[0])
        promotion: tuple[Trial, int] | None = None
        live: set[int] = set()
        for i in range(len(plan) - 1):
            n_next, nxt = plan[i + 1].n_configs, rungs[i + 1]
            ok = [t for t in rungs[i] if t.ok]
            if len(nxt) < n_next:
                if complete:
                    allowed = min(n_next, len(ok))
                elif asynchronous:
                    allowed = min(n_next, len(ok) // self.eta)
                else:
                    allowed = 0
                promoted = {t.config_id for t in nxt}
                if want_live or (allowed and any(t.config_id not in promoted for t in ok)):
                    ranked = sorted(ok, key=lambda t: (loss(t), t.id))
                    best = next((t for t in ranked[:allowed] if t.config_id not in promoted), None)
                    if best is not None:
                        promotion = (best, i + 1)  # a higher rung overrides: promote there first
                    # Ranks only get worse as results arrive: beyond the n_next best is dropped.
                    live.update(t.config_id for t in ranked[:n_next] if t.config_id not in promoted)
                    live.update(t.config_id for t in rungs[i] if not t.state.finished)
            complete = complete and len(nxt) >= min(n_next, len(ok)) and all(t.state.finished for t in nxt)
        live.discard(None)  # type: ignore[arg-type]
        return _State(done=complete, promotion=promotion, free_slots=free, live=live)

    @staticmethod
    def _next_config_id(trials: Sequence[Trial]) -> int:
        return max((t.config_id for t in trials if t.config_id is not None), default=-1) + 1

    @staticmethod
    def _taken(space: Space, trials: Sequence[Trial]) -> set[tuple] | None:
        """Keys of the configurations already in the study, on a finite space (None otherwise:
        a continuous space does not repeat itself)."""
        if math.isinf(space.size):
            return None
        return {space.key(t.params) for t in trials}

    # -- suggestions -------------------------------------------------------------------------------
    def suggest(self, ctx: SuggestContext) -> Suggestion | None:
        asynchronous = self._is_asynchronous(ctx.trials)
        taken = self._taken(ctx.space, ctx.trials)
        can_sample = _can_sample(ctx.space, taken)
        for run in self._runs(ctx.trials):
            state = self._examine(run, ctx.loss, asynchronous, can_sample)
            if state.done:
                continue
            if state.promotion is not None:
                t, rung = state.promotion
                return Suggestion(dict(t.params), budget=run.bracket.rungs[rung].budget,
                                  previous_budget=t.budget, config_id=t.config_id,
                                  meta={**run.meta, "rung": rung})
            if state.free_slots:
                return self._new_config(ctx, run, state.free_slots[0], taken)
            # Waiting for pending trials of this bracket: start work from the next one instead.
        return None

    def _new_config(self, ctx: SuggestContext, run: _Run, slot: int, taken: set[tuple] | None) -> Suggestion:
        budget = run.bracket.rungs[0].budget
        again = run.interrupted.get(slot)
        if again is not None:  # redo an interrupted trial exactly
            cid = again.config_id if again.config_id is not None else self._next_config_id(ctx.trials)
            return Suggestion(dict(again.params), budget=budget, config_id=cid, meta=dict(again.meta))
        # The stream depends on the slot, not on the trial id, so the configurations do not
        # depend on scheduling, interruptions or interleaved promotions.
        rng = np.random.default_rng([ctx.seed, _STREAM, run.iteration, run.bracket.s, slot])
        params = self._sample(ctx, run, rng, taken)
        return Suggestion(params, budget=budget, config_id=self._next_config_id(ctx.trials),
                          meta={**run.meta, "rung": 0, "slot": slot})

    def _sample(self, ctx: SuggestContext, run: _Run, rng: np.random.Generator,
                taken: set[tuple] | None) -> dict[str, Any]:
        """A new configuration; on a finite space (`taken` not None) one not in the study yet."""
        coin = rng.random()  # drawn whatever the sampler, so random draws match across samplers
        if self.sampler == "bayes" and coin >= self.random_fraction:
            params = self._model_sample(ctx, run)
            if params is not None and (taken is None or ctx.space.key(params) not in taken):
                return params
        if taken is None:
            return ctx.space.sample(rng)  # type: ignore[return-value]
        params = sample_untaken(ctx.space, rng, taken, tries=1000)
        assert params is not None  # `can_sample`: fewer configurations taken than the space has
        return params

    # -- model-based sampling ----------------------------------------------------------------------
    @staticmethod
    def _model_class() -> type[Strategy]:
        try:
            from hpcore.strategies.bayes import BayesianOptimization
        except ImportError as e:
            raise ImportError(
                "Hyperband(sampler='bayes') needs the Gaussian-process strategy "
                f"hpcore.strategies.bayes, which cannot be imported ({e}); use sampler='random'"
            ) from e
        return BayesianOptimization

    def min_points(self, space: Space) -> int:
        """Results needed at one budget before the model is used: d + 2 (d = encoded dimensions)."""
        return space.dims + 2

    def _model_sample(self, ctx: SuggestContext, run: _Run) -> dict[str, Any] | None:
        """A configuration proposed by the GP fitted on the results at the largest budget that has
        enough of them, or None when no budget has."""
        need = self.min_points(ctx.space)
        counts = Counter(t.budget for t in ctx.trials if t.ok and t.budget is not None)
        budgets = [b for b, c in counts.items() if c >= need]
        if not budgets:
            return None
        top = max(budgets)
        at_top = [t for t in ctx.trials if t.budget == top]
        # New configurations not yet seen at that budget are pending for the model: those running
        # anywhere, and those already drawn for this bracket (else, with no new result at `top`
        # between two draws, the model would propose the same point n_0 times).
        known = {t.config_id for t in at_top}
        drawn = {t.id for t in run.rungs[0]}
        fresh = [t for t in ctx.trials if t.previous_budget is None and t.budget is not None
                 and t.config_id not in known and (t.state is TrialState.RUNNING or t.id in drawn)]
        seen = at_top + [t.replace(state=TrialState.RUNNING, value=None) for t in fresh]
        if self._model is None or self._model_space is not ctx.space:
            self._model = self._model_class()(n_initial=need)  # type: ignore[call-arg]
            self._model_space = ctx.space
        sug = self._model.suggest(dataclasses.replace(ctx, trials=seen))
        return None if sug is None else dict(sug.params)

    # -- enqueued configurations -------------------------------------------------------------------
    def adopt(self, ctx: SuggestContext, trial: Trial) -> Suggestion:
        """An enqueued configuration takes a free bottom-rung slot of the first bracket run that
        accepts new configurations (the current one when it has room), as a new configuration.
        With no slot left in the whole run it is evaluated at max_budget, outside the plan."""
        asynchronous = self._is_asynchronous(ctx.trials)
        cid = self._next_config_id(ctx.trials)
        for run in self._runs(ctx.trials):
            state = self._examine(run, ctx.loss, asynchronous, can_sample=True)
            if state.done or not state.free_slots:
                continue
            # Keep slots of interrupted trials for their own configuration when possible.
            slot = next((j for j in state.free_slots if j not in run.interrupted), state.free_slots[0])
            return Suggestion(trial.params, budget=run.bracket.rungs[0].budget, config_id=cid,
                              meta={**trial.meta, **run.meta, "rung": 0, "slot": slot})
        return Suggestion(trial.params, budget=self.max_budget, config_id=cid,
                          meta={**trial.meta, "outside_plan": True})

    # -- for adapters ------------------------------------------------------------------------------
    def live_configs(self, trials: Any, direction: str | None = None) -> set[int]:
        """Configuration ids that may still be promoted: a pending trial below the top rung, or a
        result that can still rank among those promoted. Any other configuration's checkpoint
        can be deleted.

        `trials`: a `Study` or `SuggestContext` (their direction is used), or a sequence of
        trials with `direction` ("minimize" when not given).
        """
        if hasattr(trials, "trials") and hasattr(trials, "direction"):
            direction = direction or trials.direction
            trials = trials.trials
        direction = direction or "minimize"
        if direction not in ("minimize", "maximize"):
            raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
        sign = 1.0 if direction == "minimize" else -1.0

        def loss(t: Trial) -> float:
            assert t.value is not None
            return sign * t.value

        asynchronous = self._is_asynchronous(trials)
        live: set[int] = set()
        for run in self._runs(trials):
            live |= self._examine(run, loss, asynchronous, can_sample=True, want_live=True).live
        return live
