"""Trial records built by hand for the pruner tests: a state and the reports, nothing else."""

from __future__ import annotations

from collections.abc import Mapping

from hpcore.trial import Trial, TrialState


def made(trial_id: int, state: TrialState, values: Mapping[int, float]) -> Trial:
    """A trial with id `trial_id` in `state` that reported `values` (step -> value)."""
    last = values[max(values)] if values and state is not TrialState.RUNNING else None
    return Trial(id=trial_id, params={}, state=state, value=last, intermediate_values=dict(values))


def complete(trial_id: int, values: Mapping[int, float]) -> Trial:
    return made(trial_id, TrialState.COMPLETE, values)


def pruned(trial_id: int, values: Mapping[int, float]) -> Trial:
    return made(trial_id, TrialState.PRUNED, values)


def failed(trial_id: int, values: Mapping[int, float]) -> Trial:
    return made(trial_id, TrialState.FAILED, values)


def running(trial_id: int, values: Mapping[int, float]) -> Trial:
    return made(trial_id, TrialState.RUNNING, values)
