"""Other optimisation libraries driven ask/tell on hpcore's problems, for the comparison runner.

Every peer gets the problem's own ``hpcore.Space`` (Float/Int with log and step, Choice, Bool,
Fixed, conditions) translated into its native space by :mod:`.spaces`, and is driven through
one small interface, :class:`Peer`: ``ask()`` returns the *active* parameters of the next
configuration (inactive conditional parameters absent), ``tell(value)`` reports its value
(minimised). The comparison runner (``hpcore.benchmarks.compare``) owns the loop, the clock and
the time cap.

Peers (``--with`` names), each in its own module and imported only when used:

    optuna, optuna-gp   Optuna's TPESampler / GPSampler, define-by-run     (optuna_peer)
    skopt               scikit-optimize's GP-EI Optimizer                  (skopt_peer)
    keras-tuner         KerasTuner's BayesianOptimizationOracle            (keras_tuner_peer)
    botorch             BoTorch's standard loop: SingleTaskGP, qLogNEI     (botorch_loop)
    smac                SMAC3's BlackBoxFacade                             (smac_runner)
    hebo                HEBO, in a virtual environment of its own          (hebo_runner, hebo_worker)
"""

from __future__ import annotations

import importlib
import math
from typing import Any, Protocol

__all__ = ["PEERS", "Peer", "PeerExhausted", "PeerTimeout", "WorstSoFar", "make_peer"]


class PeerExhausted(Exception):
    """The peer has no configuration left to suggest (a finite space fully visited)."""


class PeerTimeout(Exception):
    """The peer's suggestion did not come before the run's deadline (the run is capped)."""


class Peer(Protocol):
    """An optimiser driven one configuration at a time (minimisation)."""

    def ask(self) -> dict[str, Any]:
        """The active parameters of the next configuration, as the problem's space defines them.
        Raises `PeerExhausted` or `PeerTimeout` when there is none (to be had in time)."""
        ...

    def tell(self, value: float) -> None:
        """The observed value of the configuration the last `ask` returned."""
        ...

    def close(self) -> None:
        """Release what the peer holds (a subprocess, a folder)."""
        ...


class WorstSoFar:
    """What a peer with no "failed" state of its own is told for a non-finite value: the worst
    finite value seen so far (never 0 or a made-up constant, which could become the best). Before
    any finite value there is nothing to tell (`told` returns None) and the point is left out."""

    def __init__(self) -> None:
        self.worst = -math.inf

    def told(self, value: float) -> float | None:
        if math.isfinite(value):
            self.worst = max(self.worst, value)
            return value
        return self.worst if math.isfinite(self.worst) else None


#: --with name -> "module:factory" of a callable (space, seed, trials, deadline) -> Peer.
PEERS: dict[str, str] = {
    "optuna": "optuna_peer:tpe",
    "optuna-gp": "optuna_peer:gp",
    "skopt": "skopt_peer:SkoptPeer",
    "keras-tuner": "keras_tuner_peer:KerasTunerPeer",
    "botorch": "botorch_loop:BoTorchLoop",
    "smac": "smac_runner:SmacPeer",
    "hebo": "hebo_runner:HeboPeer",
}


def make_peer(name: str, space: Any, seed: int, trials: int, deadline: float) -> Peer:
    """A new peer `name` (a key of `PEERS`) for `space` (an ``hpcore.Space``), seeded with `seed`,
    told the budget of `trials` evaluations; `deadline` is the ``time.perf_counter()`` time at
    which the run stops (peers that wait on another process stop waiting then)."""
    if name not in PEERS:
        raise ValueError(f"unknown peer {name!r}; known: {', '.join(PEERS)}")
    module, factory = PEERS[name].split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), factory)(space, seed, trials, deadline)
