"""HEBO behind a pipe: run by the Python of HEBO's own virtual environment, not by hpcore's.

HEBO pins NumPy < 1.25 and an old SciPy, so it lives in a virtual environment of its own and
this script is its only contact with hpcore: it imports nothing from hpcore (nor anything
outside the standard library but HEBO and what HEBO needs). `hebo_runner` starts it once per
run and speaks JSON lines, one request and one reply each:

    -> {"design": [HEBO DesignSpace records], "seed": int}     <- {"ready": true}
    -> {"op": "suggest"}                                       <- {"params": {name: value}}
    -> {"op": "observe", "value": float}                       <- {"ok": true}

`observe` refers to the last suggestion. Any failure replies {"error": traceback} and the
worker goes on reading; end of input ends it. HEBO prints (GP jitter notes) on standard output,
so the protocol gets a copy of the original stdout and fd 1 is pointed at stderr.
"""

import json
import os
import sys
import traceback
from typing import IO, Any, Iterable


def _python(value: Any) -> Any:
    """A JSON-ready Python scalar from a pandas/NumPy one."""
    return value.item() if hasattr(value, "item") else value


def _serve(channel: IO[str], requests: Iterable[str]) -> None:
    import numpy as np
    import torch
    from hebo.design_space.design_space import DesignSpace
    from hebo.optimizers.hebo import HEBO

    optimizer = None
    last = None
    for line in requests:
        try:
            message = json.loads(line)
            if "design" in message:
                seed = int(message["seed"])
                np.random.seed(seed)  # HEBO samples from the global generators
                torch.manual_seed(seed)
                optimizer = HEBO(DesignSpace().parse(message["design"]), scramble_seed=seed)
                reply = {"ready": True}
            elif message.get("op") == "suggest":
                last = optimizer.suggest(n_suggestions=1)
                reply = {"params": {k: _python(v) for k, v in last.iloc[0].items()}}
            elif message.get("op") == "observe":
                optimizer.observe(last, np.array([[float(message["value"])]]))
                reply = {"ok": True}
            else:
                reply = {"error": f"unknown request {message!r}"}
        except Exception:
            reply = {"error": traceback.format_exc()}
        channel.write(json.dumps(reply) + "\n")
        channel.flush()


def main() -> None:
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    _serve(channel, sys.stdin)


if __name__ == "__main__":
    main()
