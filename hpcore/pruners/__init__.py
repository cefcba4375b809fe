"""Pruners: stop unpromising trials early from the values they report along the way.

An objective reports as it trains (`trial.report(value, step)`) and asks `trial.should_prune()`;
the study asks its pruner, which decides from the reports stored so far (`Pruner.prune`). Every
pruner is a pure function of the study's trials, so a resumed study decides as before.

- `MedianPruner`, `PercentilePruner`: compare with what completed trials reported at the same step.
- `SuccessiveHalvingPruner` (`ASHAPruner`): asynchronous successive halving at rungs eta apart.
- `HyperbandPruner`: several successive-halving brackets, a trial's bracket from its id.
- `ThresholdPruner`: fixed bounds on the reported value.
- `PatientPruner`: prune only a trial that stopped improving (wraps another pruner, or none).
- `NopPruner`: never prunes (reports are still recorded).

`make_pruner(spec)` builds one from a name or a config dict; `make_pruner(None)` is None.
All of them prune a trial whose latest report is NaN or infinite, except `NopPruner`.
"""

from hpcore.pruners.base import PRUNERS, NopPruner, Pruner, make_pruner
from hpcore.pruners.hyperband import HyperbandPruner
from hpcore.pruners.median import MedianPruner, PercentilePruner
from hpcore.pruners.patient import PatientPruner
from hpcore.pruners.successive_halving import ASHAPruner, SuccessiveHalvingPruner
from hpcore.pruners.threshold import ThresholdPruner

__all__ = [
    "PRUNERS", "ASHAPruner", "HyperbandPruner", "MedianPruner", "NopPruner", "PatientPruner", "PercentilePruner",
    "Pruner", "SuccessiveHalvingPruner", "ThresholdPruner", "make_pruner",
]
